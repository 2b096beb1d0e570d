// SPDX-License-Identifier: GPL-2.0

//! A value handed from one party to another without a lock: the pipeline's
//! jobs (`queueing.rs`). The value is made by a producer, worked on in
//! place by exactly one worker, then taken out by exactly one consumer; a
//! state word says whose it is, so each transfer is one atomic operation
//! where a lock would be two (and, for `spin_lock_bh`, a softirq check).
//!
//! States: `PENDING` (no one may touch it) → `WORKING` (the one worker
//! that won the claim) → `DONE` or `FAILED` (ready for the consumer) →
//! `TAKEN` (empty). A pending value may also be finished without work.

use core::cell::UnsafeCell;
use core::sync::atomic::{
    AtomicU8,
    Ordering::{
        AcqRel,
        Acquire,
        Release, //
    },
};

const PENDING: u8 = 0;
const WORKING: u8 = 1;
const DONE: u8 = 2;
const FAILED: u8 = 3;
const TAKEN: u8 = 4;

/// Where a handed-off value stands, as its consumer sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stage {
    /// Not finished yet (waiting for, or under, its work).
    Pending,
    /// Finished and its work succeeded.
    Done,
    /// Finished and its work failed (or there was none).
    Failed,
    /// Already taken out.
    Taken,
}

/// A value that moves from a worker to a consumer.
///
/// # Invariants
///
/// `value` is only accessed by whoever moved `state` out of `PENDING` into
/// `WORKING` (until it stores `DONE` or `FAILED`), or out of `DONE`/`FAILED`
/// into `TAKEN` (once); every such move is a compare-exchange, so at most
/// one party at a time holds it.
pub(crate) struct Handoff<T> {
    state: AtomicU8,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the value is only reached by one party at a time (the type
// invariant), and crosses CPUs only through the state word's
// release/acquire pairs, so sharing the cell is as sharing a `T` by value.
unsafe impl<T: Send> Sync for Handoff<T> {}
// SAFETY: it owns a `T`.
unsafe impl<T: Send> Send for Handoff<T> {}

impl<T> Handoff<T> {
    /// A pending value.
    pub(crate) const fn new(value: T) -> Self {
        Self {
            state: AtomicU8::new(PENDING),
            value: UnsafeCell::new(Some(value)),
        }
    }

    /// Does the work on the value if this caller is the first to claim it,
    /// then finishes it as `work` says (true: done, false: failed). Returns
    /// what else `work` returned, or `None` if it was not pending.
    pub(crate) fn work<R>(&self, work: impl FnOnce(&mut T) -> (bool, R)) -> Option<R> {
        self.state
            .compare_exchange(PENDING, WORKING, Acquire, Acquire)
            .ok()?;
        // SAFETY: we moved the state from PENDING to WORKING, so until we
        // store DONE or FAILED below no one else touches the value.
        let slot = unsafe { &mut *self.value.get() };
        let Some(v) = slot.as_mut() else {
            // Never (the value is there until taken); fail it all the same.
            self.state.store(FAILED, Release);
            return None;
        };
        let (ok, r) = work(v);
        self.state.store(if ok { DONE } else { FAILED }, Release);
        Some(r)
    }

    /// Finishes a pending value without working on it (no worker will have
    /// it). Does nothing if a worker claimed it first.
    pub(crate) fn finish_unworked(&self, ok: bool) {
        let _ = self.state.compare_exchange(
            PENDING,
            if ok { DONE } else { FAILED },
            Release,
            Acquire,
        );
    }

    /// The stage, as the consumer sees it.
    pub(crate) fn stage(&self) -> Stage {
        match self.state.load(Acquire) {
            PENDING | WORKING => Stage::Pending,
            DONE => Stage::Done,
            FAILED => Stage::Failed,
            _ => Stage::Taken,
        }
    }

    /// Takes the finished value out (once): `None` if it is still pending
    /// or was taken already.
    pub(crate) fn take(&self) -> Option<T> {
        let s = self.state.load(Acquire);
        if s != DONE && s != FAILED {
            return None;
        }
        self.state.compare_exchange(s, TAKEN, AcqRel, Acquire).ok()?;
        // SAFETY: we moved the state from DONE/FAILED to TAKEN: the worker
        // is finished with the value and no one else may take it.
        unsafe { (*self.value.get()).take() }
    }
}

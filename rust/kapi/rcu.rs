// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections and pointer publication.
//!
//! Published pointers are `AtomicPtr`s: writers store with `Release`
//! (`rcu_assign_pointer`), readers load with `Acquire` (at least as strong
//! as `rcu_dereference`) inside a [`ReadGuard`].

use super::bindings as b;
use core::marker::PhantomData;

/// An RCU read-side critical section; objects found through RCU-published
/// pointers stay valid while it lives.
pub(crate) struct ReadGuard(PhantomData<*mut ()>);

impl ReadGuard {
    /// Enters a read-side critical section.
    pub(crate) fn new() -> Self {
        // SAFETY: paired with the unlock in `drop`, on the same thread (the
        // guard is not `Send`).
        unsafe { b::wgrs_rcu_read_lock() };
        Self(PhantomData)
    }
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        // SAFETY: we entered the section in `new`.
        unsafe { b::wgrs_rcu_read_unlock() };
    }
}

/// Waits for all current RCU readers to finish.
pub(crate) fn synchronize() {
    // SAFETY: process context, no RCU read lock held by this thread (the
    // callers are update paths and tests).
    unsafe { b::synchronize_rcu() };
}

/// Waits until every `call_rcu` callback queued so far has run. Needed
/// before the module's code goes away, since the callbacks are ours.
pub(crate) fn barrier() {
    // SAFETY: process context, no RCU read lock held.
    unsafe { b::rcu_barrier() };
}

/// Runs [`barrier`] when dropped: the last field of the module's state, so
/// that RCU callbacks queued by anything dropped before it (they are code
/// of this module) have run before the module's code is freed.
pub(crate) struct BarrierOnDrop;

impl Drop for BarrierOnDrop {
    fn drop(&mut self) {
        barrier();
    }
}

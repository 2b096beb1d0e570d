// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections and grace periods.
//!
//! The read guard, `synchronize_rcu` and `rcu_barrier` are the kernel
//! crate's (`kernel::sync::rcu`); this module only names them for the
//! driver and adds [`BarrierOnDrop`].
//!
//! Published pointers are atomics: writers store with `Release`
//! (`rcu_assign_pointer`), readers load with `Acquire` (at least as strong
//! as `rcu_dereference`) while they hold a [`ReadGuard`].

use kernel::prelude::*;
pub(crate) use kernel::sync::rcu::Guard as ReadGuard;

/// Waits for all current RCU readers to finish (process context only).
pub(crate) fn synchronize() {
    kernel::sync::rcu::synchronize_rcu();
}

/// Runs `rcu_barrier()` when dropped: the last field of the module's state,
/// so that RCU callbacks queued by anything dropped before it (they are
/// code of this module) have run before the module's code is freed.
pub(crate) struct BarrierOnDrop;

impl Drop for BarrierOnDrop {
    fn drop(&mut self) {
        kernel::sync::rcu::rcu_barrier();
    }
}

/// An optional boxed value that readers reach under RCU and writers
/// replace, freeing the old value after a grace period (an `__rcu`
/// pointer with `rcu_assign_pointer` and `synchronize_rcu`).
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this
/// value; a value swapped out is dropped only after a grace period.
pub(crate) struct RcuBox<T> {
    ptr: core::sync::atomic::AtomicPtr<T>,
}

// SAFETY: the value is shared with readers on other threads.
unsafe impl<T: Send + Sync> Send for RcuBox<T> {}
// SAFETY: as above; replacement is an atomic swap.
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// Empty.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// The value, for as long as the read-side section `guard` lasts.
    pub(crate) fn get<'a>(&'a self, _guard: &'a ReadGuard) -> Option<&'a T> {
        let p = self.ptr.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: a non-null pointer is an owned box (type invariant) that
        // is freed only after a grace period following its replacement, and
        // `guard` keeps this section open for `'a`.
        unsafe { p.as_ref() }
    }

    /// Puts `new` in place, waits for readers of the old value and returns
    /// it (process context only).
    pub(crate) fn replace(&self, new: Option<KBox<T>>) -> Option<KBox<T>> {
        let new = new.map_or(core::ptr::null_mut(), KBox::into_raw);
        // INVARIANT: the new pointer is an owned box; the old one is
        // returned only after a grace period.
        let old = self.ptr.swap(new, core::sync::atomic::Ordering::AcqRel);
        if old.is_null() {
            return None;
        }
        synchronize();
        // SAFETY: `old` was ours (type invariant), unreachable for new
        // readers since the swap and for old ones since the grace period.
        Some(unsafe { KBox::from_raw(old) })
    }
}

impl<T> Drop for RcuBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self`: no reader holds a reference through us
            // any more (readers borrow `self`); the box is ours.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}

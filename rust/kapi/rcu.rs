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


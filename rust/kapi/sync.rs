// SPDX-License-Identifier: GPL-2.0

//! Locks the kernel crate has no form of: a spinlock that also disables
//! bottom halves (`spin_lock_bh`), for data shared between process context
//! (workers, netlink) and softirq context (transmit, receive, NAPI, timers).
//! Taking a plain spinlock from both is a deadlock that lockdep reports.
//!
//! [`SpinLockBh`] is the kernel crate's generic [`Lock`] with a backend of
//! our own, so its guards, `pin_init` construction and lock classes work
//! exactly as for `SpinLock`.

use super::bindings as b;
use kernel::sync::lock::{
    Backend,
    Lock, //
};

/// A spinlock taken with bottom halves disabled.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// Creates a [`SpinLockBh`] initialiser with a lock class of its own (one
/// per call site, as `new_spinlock!` does).
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal $(,)?) => {
        $crate::kapi::sync::SpinLockBh::new(
            $inner,
            ::kernel::optional_name!($name),
            ::kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_bh;

/// The `spin_lock_bh` backend.
pub(crate) struct SpinLockBhBackend;

// SAFETY: `spinlock_t` gives mutual exclusion; `lock` and `unlock` pair
// `spin_lock_bh` with `spin_unlock_bh` on the same lock, and `try_lock`
// returns a state only when `spin_trylock_bh` took the lock.
unsafe impl Backend for SpinLockBhBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller gives a lock valid for writes and a name and
        // key valid forever.
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller gives an initialised lock.
        unsafe { b::wgrs_spin_lock_bh(ptr.cast()) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: the caller gives an initialised lock.
        (unsafe { b::wgrs_spin_trylock_bh(ptr.cast()) }).then_some(())
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller holds the lock, taken by `lock` or `try_lock`.
        unsafe { b::wgrs_spin_unlock_bh(ptr.cast()) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: the caller gives an initialised lock.
        unsafe { kernel::bindings::spin_assert_is_held(ptr) }
    }
}

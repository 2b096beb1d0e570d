// SPDX-License-Identifier: GPL-2.0

//! Locks the kernel crate has no form of: a spinlock that also disables
//! bottom halves (`spin_lock_bh`), for data shared between process context
//! (workers, netlink) and softirq context (transmit, receive, NAPI, timers).
//! Taking a plain spinlock from both is a deadlock that lockdep reports.
//!
//! [`SpinLockBh`] is the kernel crate's generic [`Lock`] with a backend of
//! our own, so its guards, `pin_init` construction and lock classes work
//! exactly as for `SpinLock`.

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
        unsafe { raw::lock(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: the caller gives an initialised lock.
        (unsafe { raw::try_lock(ptr) }).then_some(())
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller holds the lock, taken by `lock` or `try_lock`.
        unsafe { raw::unlock(ptr) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // Without lockdep the check is empty: no call on every lock taken.
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: the caller gives an initialised lock.
        unsafe {
            kernel::bindings::spin_assert_is_held(ptr)
        }
        #[cfg(not(CONFIG_LOCKDEP))]
        let _ = ptr;
    }
}

/// `spin_lock_bh` and friends. Without PREEMPT_RT, `spinlock_t` is a union
/// whose first member is its `raw_spinlock_t` (`lock->rlock`, at offset 0),
/// and the inline `spin_lock_bh(lock)` is `_raw_spin_lock_bh(&lock->rlock)`:
/// that exported function is called directly, saving a shim call on every
/// lock and unlock of the packet path. Under PREEMPT_RT, where a
/// `spinlock_t` is a sleeping lock, the shims call the inline functions.
#[cfg(not(CONFIG_PREEMPT_RT))]
mod raw {
    use kernel::bindings as kb;

    fn rlock(ptr: *mut kb::spinlock_t) -> *mut kb::raw_spinlock_t {
        // The union's members all start at its start.
        ptr.cast()
    }

    /// # Safety
    ///
    /// `ptr` is an initialised lock.
    pub(super) unsafe fn lock(ptr: *mut kb::spinlock_t) {
        // SAFETY: an initialised lock's `rlock` (the caller).
        unsafe { kb::_raw_spin_lock_bh(rlock(ptr)) }
    }

    /// # Safety
    ///
    /// `ptr` is an initialised lock.
    pub(super) unsafe fn try_lock(ptr: *mut kb::spinlock_t) -> bool {
        // SAFETY: as for `lock`.
        unsafe { kb::_raw_spin_trylock_bh(rlock(ptr)) != 0 }
    }

    /// # Safety
    ///
    /// `ptr` is a lock the caller holds (taken by `lock` or `try_lock`).
    pub(super) unsafe fn unlock(ptr: *mut kb::spinlock_t) {
        // SAFETY: as for `lock`; the caller holds it.
        unsafe { kb::_raw_spin_unlock_bh(rlock(ptr)) }
    }
}

#[cfg(CONFIG_PREEMPT_RT)]
mod raw {
    use super::super::bindings as b;
    use kernel::bindings as kb;

    /// # Safety
    ///
    /// `ptr` is an initialised lock.
    pub(super) unsafe fn lock(ptr: *mut kb::spinlock_t) {
        // SAFETY: an initialised lock (the caller).
        unsafe { b::wgrs_spin_lock_bh(ptr.cast()) }
    }

    /// # Safety
    ///
    /// `ptr` is an initialised lock.
    pub(super) unsafe fn try_lock(ptr: *mut kb::spinlock_t) -> bool {
        // SAFETY: as for `lock`.
        unsafe { b::wgrs_spin_trylock_bh(ptr.cast()) }
    }

    /// # Safety
    ///
    /// `ptr` is a lock the caller holds.
    pub(super) unsafe fn unlock(ptr: *mut kb::spinlock_t) {
        // SAFETY: as for `lock`; the caller holds it.
        unsafe { b::wgrs_spin_unlock_bh(ptr.cast()) }
    }
}

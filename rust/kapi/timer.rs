// SPDX-License-Identifier: GPL-2.0

//! Jiffy timers (`struct timer_list`), whose callbacks run in softirq
//! context.
//!
//! A [`Timer`] lives inside its owner `T`. Between [`Timer::start`] and
//! [`Timer::shutdown`] it holds a strong reference to the owner, so a
//! callback can always reach it; `shutdown` (process context) stops the
//! timer for good, waits for a running callback and drops the reference.
//! An owner may hold several timers, told apart by the const `ID`.

use super::bindings as b;
use core::{
    marker::PhantomData,
    ptr::null_mut,
    sync::atomic::{
        AtomicPtr,
        Ordering::{
            AcqRel,
            Acquire, //
        },
    },
};
use kernel::{
    prelude::*,
    sync::{
        Arc,
        LockClassKey, //
    },
    types::Opaque,
};

/// What a timer does when it fires (softirq context).
pub(crate) trait TimerCallback<const ID: u64>: Sized + Send + Sync + 'static {
    /// The timer `ID` of `self` expired.
    fn expired(&self);
}

/// Locates timer `ID` inside its owner.
///
/// # Safety
///
/// `timer` must return a field of `self` at offset `OFFSET`.
pub(crate) unsafe trait HasTimer<const ID: u64>: TimerCallback<ID> {
    /// Offset of the [`Timer`] field in `Self`.
    const OFFSET: usize;
    /// The field.
    fn timer(&self) -> &Timer<Self, ID>;
}

/// Implements [`HasTimer`] for fields of a type.
macro_rules! impl_has_timer {
    ($t:ty { $($field:ident: $id:expr),* $(,)? }) => {$(
        // SAFETY: `timer` returns the field at `offset_of!`.
        unsafe impl $crate::kapi::timer::HasTimer<{ $id }> for $t {
            const OFFSET: usize = ::core::mem::offset_of!($t, $field);
            fn timer(&self) -> &$crate::kapi::timer::Timer<Self, { $id }> {
                &self.$field
            }
        }
    )*};
}
pub(crate) use impl_has_timer;

/// A timer inside an owner of type `T`.
///
/// # Invariants
///
/// `inner` is initialised by [`Timer::new`]. `owner` is null, or holds a
/// reference from `Arc::into_raw` on the `T` containing this timer from
/// [`Timer::start`] until [`Timer::shutdown`], which first shuts the timer
/// down for good (no callback runs or can be armed after).
#[pin_data]
pub(crate) struct Timer<T, const ID: u64> {
    #[pin]
    inner: Opaque<b::timer_list>,
    owner: AtomicPtr<T>,
    _t: PhantomData<T>,
}

// SAFETY: timer_list calls are thread-safe; the owner pointer is atomic.
unsafe impl<T: Send + Sync, const ID: u64> Send for Timer<T, ID> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync, const ID: u64> Sync for Timer<T, ID> {}

impl<T: HasTimer<ID>, const ID: u64> Timer<T, ID> {
    /// A timer (not started), in lock class `key` named `name`.
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `timer_init_key` initialises the timer in place; the
            // name and key are static.
            inner <- Opaque::ffi_init(|slot: *mut b::timer_list| unsafe {
                b::wgrs_timer_setup(
                    slot,
                    Some(expired_callback::<T, ID>),
                    name.as_char_ptr(),
                    key.as_ptr().cast(),
                )
            }),
            owner: AtomicPtr::new(null_mut()),
            _t: PhantomData,
        })
    }

    /// Lets the timer of `owner` be armed (it holds a reference to `owner`
    /// until [`Timer::shutdown`]). A second call does nothing.
    pub(crate) fn start(owner: &Arc<T>) {
        let raw = Arc::into_raw(owner.clone()).cast_mut();
        if owner
            .timer()
            .owner
            .compare_exchange(null_mut(), raw, AcqRel, Acquire)
            .is_err()
        {
            // SAFETY: from `into_raw` above, never stored.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }

    /// (Re)arms the timer to fire at jiffy `expires`, if it was started.
    pub(crate) fn modify(&self, expires: u64) {
        if self.owner.load(Acquire).is_null() {
            return;
        }
        // SAFETY: the timer is initialised; after `shutdown` began, the
        // kernel ignores the call (the timer's function is cleared).
        unsafe { b::mod_timer(self.inner.get(), expires as kernel::ffi::c_ulong) };
    }

    /// Disarms the timer without waiting for a running callback.
    pub(crate) fn cancel(&self) {
        // SAFETY: the timer is initialised.
        unsafe { b::timer_delete(self.inner.get()) };
    }

    /// Disarms the timer and waits for a running callback (not from the
    /// timer's own callback).
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: the timer is initialised; not called from its callback.
        unsafe { b::timer_delete_sync(self.inner.get()) };
    }

    /// Whether the timer is armed.
    pub(crate) fn is_pending(&self) -> bool {
        // SAFETY: the timer is initialised.
        unsafe { b::wgrs_timer_pending(self.inner.get()) }
    }

    /// Stops the timer for good, waits for a running callback and drops
    /// the owner reference. Process context; idempotent.
    pub(crate) fn shutdown(&self) {
        // SAFETY: the timer is initialised; no callback of ours calls this.
        unsafe { b::timer_shutdown_sync(self.inner.get()) };
        let raw = self.owner.swap(null_mut(), AcqRel);
        if !raw.is_null() {
            // SAFETY: from `into_raw` in `start`, taken back once; the timer
            // can no longer fire, so no callback uses the reference.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

/// # Safety
///
/// Called by the timer core for a timer initialised by [`Timer::new`].
unsafe extern "C" fn expired_callback<T: HasTimer<ID>, const ID: u64>(t: *mut b::timer_list) {
    // SAFETY: `t` is the `inner` field of a `Timer<T, ID>` at `T::OFFSET`.
    let timer = unsafe {
        &*t.cast::<u8>()
            .sub(core::mem::offset_of!(Timer<T, ID>, inner))
            .cast::<Timer<T, ID>>()
    };
    // A timer only fires after `modify`, which requires a started timer;
    // `shutdown` stops it before taking the reference back, so the owner is
    // alive here.
    if timer.owner.load(Acquire).is_null() {
        return;
    }
    // SAFETY: the timer is a field of `T` at `T::OFFSET`, and its owner
    // reference keeps the `T` alive (see above).
    let owner = unsafe {
        &*core::ptr::from_ref(timer)
            .cast::<u8>()
            .sub(T::OFFSET)
            .cast::<T>()
    };
    owner.expired();
}

/// Jiffies now.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_jiffies() as u64 }
}

/// Jiffies in `secs` seconds (a duration).
pub(crate) fn secs_to_jiffies(secs: u64) -> u64 {
    // SAFETY: no preconditions.
    secs * u64::from(unsafe { b::wgrs_hz() })
}

/// Jiffies in `ms` milliseconds, rounded down.
pub(crate) fn ms_to_jiffies(ms: u64) -> u64 {
    // SAFETY: no preconditions.
    ms * u64::from(unsafe { b::wgrs_hz() }) / 1000
}

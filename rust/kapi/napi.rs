// SPDX-License-Identifier: GPL-2.0

//! NAPI (`struct napi_struct`): a per-owner polling context that the
//! networking core runs in softirq context to deliver received packets,
//! with GRO.
//!
//! A [`Napi`] lives inside its owner `T` (pinned, e.g. in an `Arc`). While
//! it is added to a device it holds a strong reference to its owner, so the
//! poll callback can always reach the owner; [`Napi::remove`] (process
//! context) disables and deletes it and drops that reference. An owner that
//! never calls `remove` is leaked, not freed under a running poll.

use super::bindings as b;
use super::netdev::NetDevice;
use super::skb::SkBuff;
use core::{
    ffi::c_int,
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
    sync::Arc,
    types::Opaque, //
};

/// The owner's side of a NAPI context.
pub(crate) trait NapiPoll: Sized + Send + Sync + 'static {
    /// Delivers up to `budget` packets through `napi`; returns how many it
    /// delivered, and calls [`NapiPoller::complete`] if it ran out of work.
    fn poll(&self, napi: &NapiPoller<'_>, budget: i32) -> i32;
}

/// Locates the [`Napi`] field inside its owner.
///
/// # Safety
///
/// `napi` must return a field of `self`, at a fixed offset `OFFSET`.
pub(crate) unsafe trait HasNapi: NapiPoll {
    /// Offset of the [`Napi`] field in `Self`.
    const OFFSET: usize;
    /// The field.
    fn napi(&self) -> &Napi<Self>;
}

/// Implements [`HasNapi`] for a type with a [`Napi`] field.
macro_rules! impl_has_napi {
    ($t:ty, $field:ident) => {
        // SAFETY: `napi` returns the field at `offset_of!`.
        unsafe impl $crate::kapi::napi::HasNapi for $t {
            const OFFSET: usize = ::core::mem::offset_of!($t, $field);
            fn napi(&self) -> &$crate::kapi::napi::Napi<Self> {
                &self.$field
            }
        }
    };
}
pub(crate) use impl_has_napi;

/// A NAPI context inside an owner of type `T`.
///
/// # Invariants
///
/// `owner` is null, or holds a reference from `Arc::into_raw` on the `T`
/// that contains this value, for exactly as long as `inner` is added to a
/// device (between [`Napi::add`] and [`Napi::remove`]).
#[pin_data(PinnedDrop)]
pub(crate) struct Napi<T> {
    #[pin]
    inner: Opaque<b::napi_struct>,
    owner: AtomicPtr<T>,
    _t: PhantomData<T>,
}

// SAFETY: the NAPI core serialises polls; the owner pointer is atomic.
unsafe impl<T: Send + Sync> Send for Napi<T> {}
// SAFETY: as above; `&self` methods are the NAPI core's thread-safe calls.
unsafe impl<T: Send + Sync> Sync for Napi<T> {}

/// The context a poll runs in: delivery and completion.
pub(crate) struct NapiPoller<'a> {
    napi: *mut b::napi_struct,
    _p: PhantomData<&'a ()>,
}

impl NapiPoller<'_> {
    /// Hands a packet to GRO and the stack.
    pub(crate) fn gro_receive(&self, skb: SkBuff) {
        // SAFETY: inside a poll of this NAPI; GRO consumes the skb.
        unsafe { b::wgrs_napi_gro_receive(self.napi, skb.into_raw()) }
    }

    /// Ends the poll when less than the budget was used.
    pub(crate) fn complete(&self, work_done: i32) {
        // SAFETY: inside a poll of this NAPI.
        unsafe { b::napi_complete_done(self.napi, work_done) };
    }
}

impl<T: HasNapi> Napi<T> {
    /// A NAPI context, not added yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner: Opaque::zeroed(),
            owner: AtomicPtr::new(null_mut()),
            _t: PhantomData,
        })
    }

    /// Adds the NAPI context of `owner` to `dev` and enables it. Call once,
    /// in process context; a second call does nothing.
    pub(crate) fn add(owner: &Arc<T>, dev: &NetDevice) {
        let this = owner.napi();
        let raw = Arc::into_raw(owner.clone()).cast_mut();
        if this
            .owner
            .compare_exchange(null_mut(), raw, AcqRel, Acquire)
            .is_err()
        {
            // SAFETY: `raw` came from `into_raw` just above and was not stored.
            drop(unsafe { Arc::from_raw(raw) });
            return;
        }
        // INVARIANT: the reference is stored before the context is added.
        // SAFETY: the context is pinned in the owner, which the stored
        // reference keeps alive until `remove`; `dev` is registered.
        unsafe {
            b::wgrs_napi_add(dev.as_raw(), this.inner.get(), Some(poll_callback::<T>));
            b::napi_enable(this.inner.get());
        }
    }

    /// Schedules a poll (from any context).
    pub(crate) fn schedule(&self) {
        if self.owner.load(Acquire).is_null() {
            return;
        }
        // SAFETY: the context is added (the owner pointer is set only while
        // it is; a concurrent `remove` disables it before deleting it, and a
        // schedule of a disabled context does nothing).
        unsafe { b::wgrs_napi_schedule(self.inner.get()) };
    }

    /// Disables and deletes the context, waiting for a running poll, and
    /// drops the owner reference. Process context only; idempotent.
    pub(crate) fn remove(&self) {
        let raw = self.owner.load(Acquire);
        if raw.is_null() {
            return;
        }
        // SAFETY: the context is added (owner set); we are in process context.
        unsafe {
            b::napi_disable(self.inner.get());
            b::wgrs_napi_del(self.inner.get());
        }
        // INVARIANT: the context is deleted; now give the reference back.
        let raw = self.owner.swap(null_mut(), AcqRel);
        if !raw.is_null() {
            // SAFETY: from `into_raw` in `add`, taken back once (swapped out).
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for Napi<T> {
    fn drop(self: Pin<&mut Self>) {
        // While added, the context holds a reference to its owner, so the
        // owner (and this field) cannot be dropped: the pointer is null here.
    }
}

/// # Safety
///
/// Called by the NAPI core with a context added by [`Napi::add`].
unsafe extern "C" fn poll_callback<T: HasNapi>(napi: *mut b::napi_struct, budget: c_int) -> c_int {
    // SAFETY: `napi` is the `inner` field of a `Napi<T>` at `T::OFFSET` in a
    // `T` kept alive by the reference the context holds while added.
    let owner = unsafe {
        &*napi
            .cast::<u8>()
            .sub(T::OFFSET + core::mem::offset_of!(Napi<T>, inner))
            .cast::<T>()
    };
    let poller = NapiPoller {
        napi,
        _p: PhantomData,
    };
    owner.poll(&poller, budget)
}

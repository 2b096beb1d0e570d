// SPDX-License-Identifier: GPL-2.0

//! Network namespaces beyond borrowing one: counted references, and a
//! device's creating namespace, which the device holds without a reference
//! and must forget when that namespace exits (the C driver's `creating_net`
//! and its pernet `exit_rtnl` hook).

use super::bindings as b;
use super::netdev::{
    Net,
    NetDevice, //
};
use core::{
    ffi::c_void,
    marker::PhantomPinned,
    ptr::{
        null_mut,
        NonNull, //
    },
    sync::atomic::{
        AtomicPtr,
        Ordering::Relaxed, //
    },
};
use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// A counted reference to a live network namespace.
///
/// # Invariants
///
/// `0` points to a namespace on which this value holds one reference
/// (from `maybe_get_net`), released when it is dropped.
pub(crate) struct NetRef(NonNull<b::net>);

impl NetRef {
    /// The namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: we hold a reference, so the namespace is alive.
        unsafe { Net::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for NetRef {
    fn drop(&mut self) {
        // SAFETY: we hold exactly one reference, released here.
        unsafe { b::wgrs_put_net(self.0.as_ptr()) }
    }
}

impl Net {
    /// Whether the current task has `CAP_NET_ADMIN` in the user namespace
    /// that owns this network namespace.
    pub(crate) fn net_admin_capable(&self) -> bool {
        // SAFETY: the namespace is valid while borrowed.
        unsafe { b::wgrs_net_admin_capable(self.as_raw()) }
    }
}

/// The pernet hook that tells [`CreatingNet`]s their namespace is going.
/// Register it before any device exists and drop it after the last one.
pub(crate) struct NetnsWatchRegistration(());

impl NetnsWatchRegistration {
    /// Registers the hook.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: registers a static `pernet_operations` of the shims.
        to_result(unsafe { b::wgrs_netns_watch_register() })?;
        Ok(Self(()))
    }
}

impl Drop for NetnsWatchRegistration {
    fn drop(&mut self) {
        // SAFETY: registered while this value exists.
        unsafe { b::wgrs_netns_watch_unregister() }
    }
}

/// The namespace a device was created in, kept without a reference (so a
/// device moved elsewhere does not keep it alive) and forgotten, with a
/// call to the driver's `on_exit`, when it exits.
///
/// # Invariants
///
/// `net` is null or points to a live namespace: it is cleared under RTNL by
/// the exit hook, which runs under RTNL before the namespace is freed, or
/// by [`CreatingNet::unwatch`], and it is only read under RTNL. `dev` is
/// non-null exactly while the watch is on the hook's list.
#[pin_data(PinnedDrop)]
pub(crate) struct CreatingNet {
    #[pin]
    watch: Opaque<b::wgrs_netns_watch>,
    net: AtomicPtr<b::net>,
    dev: AtomicPtr<b::net_device>,
    on_exit: fn(&NetDevice),
    #[pin]
    _pin: PhantomPinned,
}

impl CreatingNet {
    /// Remembers `net`, calling `on_exit` (under RTNL) for the device when
    /// that namespace exits, once [`CreatingNet::watch`] has been called.
    pub(crate) fn new(net: &Net, on_exit: fn(&NetDevice)) -> impl PinInit<Self> {
        let net = net.as_raw();
        pin_init!(Self {
            watch <- Opaque::uninit(),
            net: AtomicPtr::new(net),
            dev: AtomicPtr::new(null_mut()),
            on_exit,
            _pin: PhantomPinned,
        })
    }

    /// Starts watching for the namespace's exit on behalf of `dev`, which
    /// must be registered and own `self`. Call once, under RTNL.
    ///
    /// Taking `&self` is enough: a `CreatingNet` only comes into being
    /// pin-initialised, so its address is stable until it is dropped.
    pub(crate) fn watch(&self, dev: &NetDevice) {
        if !self.dev.load(Relaxed).is_null() {
            return;
        }
        let w = self.watch.get();
        // SAFETY: `self` is pinned (see above), so the entry stays put until drop
        // takes it off the list; RTNL (held by the caller, asserted by the
        // shim) serialises the list.
        unsafe {
            (*w).ctx = core::ptr::from_ref(self).cast_mut().cast();
            (*w).exit = Some(exit_callback);
            b::wgrs_netns_watch_add(w);
        }
        self.dev.store(dev.as_raw(), Relaxed);
    }

    /// Stops watching, as the device is unregistered (call under RTNL,
    /// from `ndo_uninit`): from here the exit hook no longer reaches the
    /// device, which the core may free once its references are gone, and
    /// [`CreatingNet::get`] returns `None` (nothing keeps `net` valid once
    /// it is off the list).
    pub(crate) fn unwatch(&self) {
        if self.dev.load(Relaxed).is_null() {
            return;
        }
        // SAFETY: the entry is on the list (`dev` is set) and the caller
        // holds RTNL (asserted by the shim), which serialises the list.
        unsafe { b::wgrs_netns_watch_del(self.watch.get()) };
        self.dev.store(null_mut(), Relaxed);
        self.net.store(null_mut(), Relaxed);
    }

    /// A counted reference to the namespace, or `None` once it has exited
    /// (or is exiting). Call under RTNL.
    pub(crate) fn get(&self) -> Option<NetRef> {
        let net = self.net.load(Relaxed);
        if net.is_null() {
            return None;
        }
        // SAFETY: by the invariants `net` is live while we hold RTNL;
        // `maybe_get_net` fails for a namespace on its way out.
        let held = unsafe { b::wgrs_maybe_get_net(net) };
        // INVARIANT: a non-null result carries a reference for us.
        NonNull::new(held).map(NetRef)
    }
}

// SAFETY: the list entry is only touched under RTNL; the pointers are
// plain addresses read and written atomically.
unsafe impl Send for CreatingNet {}
// SAFETY: as above; `&self` methods touch the entry only under RTNL.
unsafe impl Sync for CreatingNet {}

#[pinned_drop]
impl PinnedDrop for CreatingNet {
    fn drop(self: Pin<&mut Self>) {
        if !self.dev.load(Relaxed).is_null() {
            let _rtnl = super::netdev::RtnlGuard::lock();
            // SAFETY: the entry is on the list (`dev` is set) and RTNL is held.
            unsafe { b::wgrs_netns_watch_del(self.watch.get()) };
        }
    }
}

/// # Safety
///
/// Called by the shims' exit hook, under RTNL, with the `ctx` set by
/// [`CreatingNet::watch`] and a namespace that is exiting.
unsafe extern "C" fn exit_callback(ctx: *mut c_void, net: *mut b::net) {
    // SAFETY: `ctx` is a pinned `CreatingNet` still on the list, so alive.
    let this = unsafe { &*ctx.cast::<CreatingNet>() };
    if this.net.load(Relaxed) != net {
        return;
    }
    this.net.store(null_mut(), Relaxed);
    let dev = this.dev.load(Relaxed);
    // SAFETY: the watch is on the list, so `ndo_uninit` has not run yet
    // (it takes the watch off under RTNL, which we hold): `dev` is
    // registered, and not yet freed.
    (this.on_exit)(unsafe { NetDevice::from_raw(dev) });
}

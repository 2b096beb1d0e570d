// SPDX-License-Identifier: GPL-2.0

//! Network devices and rtnl link kinds (`struct net_device`,
//! `struct rtnl_link_ops`, `struct net_device_ops`).
//!
//! A driver implements [`LinkDriver`]; [`LinkKind::register`] makes
//! `ip link add NAME type KIND` create devices whose private area holds the
//! driver's value, built by [`LinkDriver::newlink`] and dropped when the
//! device is freed.

use super::bindings as b;
use super::rcu::ReadGuard;
use super::skb::SkBuff;
use core::{
    ffi::{
        c_int,
        CStr, //
    },
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    error::to_result,
    prelude::*,
    revocable::Revocable,
    sync::Arc,
    types::Opaque, //
};

/// The driver side of a link kind.
pub(crate) trait LinkDriver: Sized + Send + Sync + 'static {
    /// What every device of the kind shares, handed over at registration
    /// and passed to [`LinkDriver::newlink`].
    type Context: Send + Sync;
    /// Sets the device's fixed properties; runs inside `alloc_netdev`.
    fn setup(dev: &mut NetDeviceSetup<'_>);
    /// Builds the driver's private data for a device being created in
    /// namespace `link_net`, in place (it may hold locks). The device is
    /// registered right after. `handle` reaches the device from the
    /// driver's own objects for as long as it exists.
    fn newlink(
        dev: &NetDevice,
        handle: &NetDevHandle,
        ctx: &Self::Context,
        link_net: &Net,
    ) -> impl PinInit<Self, Error>;
    /// The device was registered (under RTNL).
    fn registered(dev: &NetDevice, this: Pin<&Self>);
    /// `ndo_open`: the device is being brought up.
    fn open(dev: &NetDevice, this: &Self) -> Result;
    /// `ndo_stop`: the device is being brought down.
    fn stop(dev: &NetDevice, this: &Self) -> Result;
    /// `ndo_uninit`: the device is being unregistered (under RTNL, after
    /// it was closed, before the core waits for its last references and
    /// frees it): the place to unlist it from anything that could still
    /// find it and take a reference.
    fn uninit(dev: &NetDevice, this: &Self);
    /// `ndo_start_xmit`: a packet to send; the driver owns it from here.
    fn start_xmit(dev: &NetDevice, this: &Self, skb: SkBuff);
}

/// A network namespace (`struct net`), borrowed.
#[repr(transparent)]
pub(crate) struct Net(Opaque<b::net>);

impl Net {
    /// # Safety
    ///
    /// `ptr` must be valid for the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut b::net) -> &'a Net {
        // SAFETY: `Net` is a transparent wrapper; the caller guarantees validity.
        unsafe { &*ptr.cast::<Net>() }
    }

    pub(super) fn as_raw(&self) -> *mut b::net {
        self.0.get()
    }
}

/// A network device, borrowed.
///
/// # Invariants
///
/// Wraps a registered (or being-registered) `net_device` that outlives the
/// borrow.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<b::net_device>);

impl NetDevice {
    /// # Safety
    ///
    /// `ptr` must point to a valid `net_device` for the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut b::net_device) -> &'a NetDevice {
        // SAFETY: transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<NetDevice>() }
    }

    pub(super) fn as_raw(&self) -> *mut b::net_device {
        self.0.get()
    }

    /// The interface name.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: `name` is a NUL-terminated array inside a valid device; the
        // core keeps it terminated (renames happen under RTNL, and callers
        // that print it tolerate a concurrent rename like the C code does).
        unsafe { CStr::from_char_ptr((*self.as_raw()).name.as_ptr()) }
    }

    /// The interface index.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: the device is valid by the type invariant.
        unsafe { (*self.as_raw()).ifindex }
    }

    /// Whether the device is up (`netif_running`).
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: the device is valid while borrowed.
        unsafe { b::wgrs_netif_running(self.as_raw()) }
    }

    /// Marks the link as down (no carrier).
    pub(crate) fn carrier_off(&self) {
        // SAFETY: the device is valid while borrowed.
        unsafe { b::wgrs_netif_carrier_off(self.as_raw()) }
    }

    /// Counts one transmit error in the device statistics.
    pub(crate) fn count_tx_error(&self) {
        // SAFETY: the device is valid by the type invariant.
        unsafe { b::wgrs_dev_stats_inc_tx_errors(self.as_raw()) }
    }

    /// The private data of driver `T`, if this device is one of `T`'s and is
    /// registered. The device's `setup` callback identifies the driver.
    pub(crate) fn driver_data<T: LinkDriver>(&self) -> Option<&T> {
        let dev = self.as_raw();
        // SAFETY: the device is valid; `rtnl_link_ops` is either null or
        // points to ops that outlive their devices.
        let ops = unsafe { (*dev).rtnl_link_ops };
        if ops.is_null() {
            return None;
        }
        // SAFETY: checked non-null above; ops outlive their devices.
        let setup = unsafe { (*ops).setup };
        let ours: unsafe extern "C" fn(*mut b::net_device) = setup_callback::<T>;
        // SAFETY: reading a field of a valid device.
        let registered = unsafe { (*dev).priv_destructor.is_some() };
        // The kernel crate is built as one codegen unit, so `setup_callback::<T>`
        // has exactly one instance and one address in this module.
        let is_ours = setup.is_some_and(|f| core::ptr::fn_addr_eq(f, ours));
        if !is_ours || !registered {
            return None;
        }
        // `newlink_callback::<T>` initialises `T` before registering, and only
        // the destructor (set after registration) drops it.
        // SAFETY: this registered device of `T` holds an initialised `T`.
        Some(unsafe { &(*b::wgrs_netdev_priv(dev).cast::<Priv<T>>()).data })
    }
}

impl NetDevice {
    /// The MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: the device is valid; the MTU is read once.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).mtu) }
    }

    /// Counts `n` dropped outgoing packets.
    pub(crate) fn count_tx_dropped(&self, n: usize) {
        // SAFETY: the device is valid.
        unsafe { b::wgrs_dev_stats_add(self.as_raw(), b::WGRS_STAT_TX_DROPPED, n as u64) }
    }

    /// Counts `n` received packets dropped (not errors).
    pub(crate) fn count_rx_dropped(&self, n: usize) {
        // SAFETY: the device is valid.
        unsafe { b::wgrs_dev_stats_add(self.as_raw(), b::WGRS_STAT_RX_DROPPED, n as u64) }
    }

    /// Counts a received packet with a bad length (an rx error too).
    pub(crate) fn count_rx_length_error(&self) {
        // SAFETY: the device is valid.
        unsafe { b::wgrs_dev_stats_add(self.as_raw(), b::WGRS_STAT_RX_LENGTH_ERRORS, 1) }
    }

    /// Counts a received packet that is malformed or not allowed (an rx
    /// error too).
    pub(crate) fn count_rx_frame_error(&self) {
        // SAFETY: the device is valid.
        unsafe { b::wgrs_dev_stats_add(self.as_raw(), b::WGRS_STAT_RX_FRAME_ERRORS, 1) }
    }

    /// Runs the device's NAPI polls in kernel threads of their own instead
    /// of softirq context. Only before the device is registered (in
    /// [`LinkDriver::newlink`]).
    pub(crate) fn enable_threaded_napi(&self) {
        // SAFETY: the device is valid and, in `newlink`, not registered yet.
        unsafe { b::netif_threaded_enable(self.as_raw()) }
    }

    /// A number that tells this device's namespace from others (for keying
    /// per-namespace state; not a reference).
    pub(crate) fn net_cookie(&self) -> usize {
        // SAFETY: the device is valid.
        unsafe { b::wgrs_dev_net(self.as_raw()) as usize }
    }

    /// As a tunnel would: no ICMP redirects from this device (and, as the C
    /// driver does, none from the namespace's `all` setting either), and no
    /// IPv6 link-local address generated for it. Called when it goes up.
    pub(crate) fn disable_redirects_and_addrgen(&self) {
        // SAFETY: the device is valid; called under RTNL (ndo_open).
        unsafe { b::wgrs_netdev_tunnel_conf(self.as_raw()) }
    }

    /// Counts a received packet of `len` bytes (per-CPU `tstats`).
    pub(crate) fn count_rx(&self, len: usize) {
        // SAFETY: the device is valid and uses tstats.
        unsafe { b::wgrs_dev_sw_netstats_rx_add(self.as_raw(), len as u32) }
    }

    /// Counts `packets` sent packets of `bytes` bytes in all (per-CPU
    /// `tstats`), for what the tunnel transmit does not count itself.
    pub(crate) fn count_tx(&self, packets: usize, bytes: usize) {
        let (Ok(packets), Ok(bytes)) = (u32::try_from(packets), u32::try_from(bytes)) else {
            return;
        };
        // SAFETY: the device is valid and uses tstats.
        unsafe { b::wgrs_dev_sw_netstats_tx_add(self.as_raw(), packets, bytes) }
    }
}

/// A device as the driver's own objects (peers, workers, sockets) reach it:
/// shared, and revoked by the link kind when the device is freed, after
/// which it gives nothing (so a late user cannot touch a freed device).
pub(crate) type NetDevHandle = Arc<Revocable<DevPtr>>;

/// A device pointer, valid until its [`NetDevHandle`] is revoked.
///
/// # Invariants
///
/// `0` points to a device whose private area holds the handle this value
/// is in; the link kind revokes the handle before the device is freed.
pub(crate) struct DevPtr(NonNull<b::net_device>);

// SAFETY: a device may be used from any context.
unsafe impl Send for DevPtr {}
// SAFETY: `&NetDevice` methods are thread-safe.
unsafe impl Sync for DevPtr {}

impl DevPtr {
    /// The device.
    pub(crate) fn get(&self) -> &NetDevice {
        // SAFETY: valid until revoked (type invariant), and a `&DevPtr` is
        // only handed out by the `Revocable` before that.
        unsafe { NetDevice::from_raw(self.0.as_ptr()) }
    }
}

/// Runs `f` on the device behind `handle`, if it still exists.
pub(crate) fn with_device<R>(handle: &NetDevHandle, f: impl FnOnce(&NetDevice) -> R) -> Option<R> {
    handle.try_access_with(|d| f(d.get()))
}

/// The device behind `handle`, if it still exists, for as long as `guard`
/// (an RCU read-side section) lasts.
pub(crate) fn device<'a>(handle: &'a NetDevHandle, guard: &'a ReadGuard) -> Option<&'a NetDevice> {
    handle.try_access_with_guard(guard).map(DevPtr::get)
}

/// A counted reference to a network device (`dev_hold`/`dev_put`).
///
/// # Invariants
///
/// `0` is a valid device on which this value holds one reference.
pub(crate) struct NetDeviceRef(NonNull<b::net_device>);

// SAFETY: a device reference may be dropped from any thread.
unsafe impl Send for NetDeviceRef {}

impl NetDeviceRef {
    /// Looks up a device by index in `net`.
    pub(crate) fn get_by_index(net: &Net, ifindex: i32) -> Option<Self> {
        // SAFETY: `net` is valid; `dev_get_by_index` returns a held device or null.
        let dev = unsafe { b::dev_get_by_index(net.as_raw(), ifindex) };
        // INVARIANT: a non-null result carries a reference for us.
        NonNull::new(dev).map(Self)
    }

    /// The device of `net` with the lowest index at or above `*ifindex`
    /// (for walking a namespace's devices in index order); `*ifindex` is
    /// set to its index.
    pub(crate) fn get_next(net: &Net, ifindex: &mut u64) -> Option<Self> {
        let mut i = kernel::ffi::c_ulong::try_from(*ifindex).ok()?;
        // SAFETY: `net` is valid; the shim returns a held device or null.
        let dev = unsafe { b::wgrs_dev_get_next(net.as_raw(), &mut i) };
        // INVARIANT: a non-null result carries a reference for us.
        let dev = NonNull::new(dev).map(Self)?;
        *ifindex = u64::try_from(i).unwrap_or(u64::MAX);
        Some(dev)
    }

    /// Looks up a device by name in `net`.
    pub(crate) fn get_by_name(net: &Net, name: &CStr) -> Option<Self> {
        // SAFETY: `net` is valid and `name` is NUL-terminated.
        let dev = unsafe { b::dev_get_by_name(net.as_raw(), name.as_char_ptr()) };
        // INVARIANT: a non-null result carries a reference for us.
        NonNull::new(dev).map(Self)
    }

    /// Gives up ownership of the reference, to be stored in a C context.
    pub(crate) fn into_raw(self) -> *mut b::net_device {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }

    /// Takes back a reference given up by [`NetDeviceRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` must come from `into_raw` and not have been taken back before.
    pub(crate) unsafe fn from_raw(ptr: NonNull<b::net_device>) -> Self {
        // INVARIANT: the reference given up by `into_raw` is ours again.
        Self(ptr)
    }
}

impl core::ops::Deref for NetDeviceRef {
    type Target = NetDevice;
    fn deref(&self) -> &NetDevice {
        // SAFETY: we hold a reference, so the device stays valid while borrowed.
        unsafe { NetDevice::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for NetDeviceRef {
    fn drop(&mut self) {
        // SAFETY: we hold exactly one reference, released here.
        unsafe { b::wgrs_dev_put(self.0.as_ptr()) }
    }
}

/// The RTNL lock, held while this guard lives.
pub(crate) struct RtnlGuard(PhantomData<*mut ()>);

impl RtnlGuard {
    /// Takes the RTNL lock (may sleep).
    pub(crate) fn lock() -> Self {
        // SAFETY: `rtnl_lock` has no preconditions beyond process context,
        // which every caller of this (netlink handlers) is in.
        unsafe { b::rtnl_lock() };
        Self(PhantomData)
    }
}

impl Drop for RtnlGuard {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while we hold the lock.
        unsafe { b::rtnl_unlock() };
    }
}

/// A device under construction, inside the link kind's `setup` callback.
pub(crate) struct NetDeviceSetup<'a> {
    dev: &'a mut b::net_device,
}

impl NetDeviceSetup<'_> {
    /// Makes the device a layer-3 point-to-point device with no link-layer
    /// header or address, no ARP and no qdisc, like other tunnels.
    pub(crate) fn set_point_to_point_l3(&mut self) {
        self.dev.type_ = b::ARPHRD_NONE as u16;
        self.dev.flags = b::IFF_POINTOPOINT | b::IFF_NOARP;
        // SAFETY: the device is ours to set up.
        unsafe { b::wgrs_netdev_add_priv_flags(self.dev, b::IFF_NO_QUEUE) };
        self.dev.hard_header_len = 0;
        self.dev.addr_len = 0;
    }

    /// Sets the device type to `wireguard`, as the C driver's devices have.
    pub(crate) fn set_wireguard_devtype(&mut self) {
        // SAFETY: the device is ours to set up; the type is static C data.
        unsafe { b::wgrs_set_wireguard_devtype(self.dev) };
    }

    /// Sets the MTU and its upper bound.
    pub(crate) fn set_mtu(&mut self, mtu: u32, max_mtu: u32) {
        self.dev.mtu = mtu;
        self.dev.max_mtu = max_mtu;
    }

    /// Makes the device a tunnel that encrypts in software: headroom and
    /// tailroom for what is added around each packet, scatter-gather,
    /// checksum and GSO offloads (segmentation happens in the driver), no
    /// transmit lock, and `ip_tunnel_header_ops`.
    pub(crate) fn set_tunnel_offloads(&mut self, headroom: u32, tailroom: u32) {
        // SAFETY: the device is ours to set up.
        unsafe { b::wgrs_netdev_setup_tunnel(self.dev, headroom, tailroom) };
    }

    /// Asks the core for per-CPU `tstats` counters.
    pub(crate) fn use_tstats(&mut self) {
        // SAFETY: the device is ours to set up.
        unsafe { b::wgrs_netdev_set_pcpu_stat_type(self.dev, b::NETDEV_PCPU_STAT_TSTATS) };
    }
}

/// A link kind registered with rtnl, whose devices are driven by `T`.
///
/// # Invariants
///
/// `reg.ops` is registered with `rtnl_link_register` for the life of this
/// value and is unregistered (destroying all its devices) when it is
/// dropped.
pub(crate) struct LinkKind<T: LinkDriver> {
    reg: Pin<KBox<Registration<T>>>,
}

/// The ops rtnl knows, followed by the kind's context: a device's
/// `rtnl_link_ops` points at `ops`, and so at the whole registration.
#[repr(C)]
struct Registration<T: LinkDriver> {
    ops: Opaque<b::rtnl_link_ops>,
    ctx: T::Context,
}

// SAFETY: the ops are only read by the kernel after registration.
unsafe impl<T: LinkDriver> Send for LinkKind<T> {}
// SAFETY: no `&self` method touches the ops.
unsafe impl<T: LinkDriver> Sync for LinkKind<T> {}

impl<T: LinkDriver> LinkKind<T> {
    /// Registers link kind `kind`, e.g. `c"wireguard-rs"`, whose devices
    /// share `ctx`.
    pub(crate) fn register(kind: &'static CStr, ctx: T::Context) -> Result<Self> {
        const { assert!(core::mem::align_of::<Priv<T>>() <= b::NETDEV_ALIGN as usize) };
        let ops = b::rtnl_link_ops {
            kind: kind.as_char_ptr(),
            priv_size: core::mem::size_of::<Priv<T>>(),
            setup: Some(setup_callback::<T>),
            newlink: Some(newlink_callback::<T>),
            ..pin_init::zeroed()
        };
        let reg = KBox::pin(
            Registration::<T> {
                ops: Opaque::new(ops),
                ctx,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is pinned on the heap and stays registered until
        // `drop` unregisters it, so the kernel never sees a dangling pointer.
        to_result(unsafe { b::rtnl_link_register(reg.ops.get()) })?;
        // INVARIANT: registered just above.
        Ok(Self { reg })
    }
}

impl<T: LinkDriver> Drop for LinkKind<T> {
    fn drop(&mut self) {
        // SAFETY: registered by the type invariant; this also deletes every
        // device of the kind, so no device outlives its ops.
        unsafe { b::rtnl_link_unregister(self.reg.ops.get()) };
    }
}

/// A device's private area: the handle the driver's objects use, then the
/// driver's data.
#[repr(C)]
struct Priv<T> {
    handle: NetDevHandle,
    data: T,
}

struct Ops<T>(PhantomData<T>);

impl<T: LinkDriver> Ops<T> {
    const NETDEV: b::net_device_ops = b::net_device_ops {
        ndo_open: Some(open_callback::<T>),
        ndo_stop: Some(stop_callback::<T>),
        ndo_uninit: Some(uninit_callback::<T>),
        ndo_start_xmit: Some(start_xmit_callback::<T>),
        ..pin_init::zeroed()
    };
}

/// # Safety
///
/// Called by the core with a device being initialised by `alloc_netdev`.
unsafe extern "C" fn setup_callback<T: LinkDriver>(dev: *mut b::net_device) {
    // SAFETY: the core hands us exclusive access to the new device.
    let dev = unsafe { &mut *dev };
    dev.netdev_ops = &Ops::<T>::NETDEV;
    dev.needs_free_netdev = true;
    // SAFETY: `dev` is valid.
    unsafe { b::wgrs_netif_keep_dst(dev) };
    T::setup(&mut NetDeviceSetup { dev });
}

/// # Safety
///
/// Called by rtnl with a device allocated through our ops, under RTNL.
unsafe extern "C" fn newlink_callback<T: LinkDriver>(
    dev: *mut b::net_device,
    params: *mut b::rtnl_newlink_params,
    _extack: *mut b::netlink_ext_ack,
) -> c_int {
    // SAFETY: the device is valid for the whole callback.
    let nd = unsafe { NetDevice::from_raw(dev) };
    // SAFETY: rtnl created the device for our kind and set its
    // `rtnl_link_ops` to `Registration::ops`, the first field of a
    // `repr(C)` registration that stays alive while the kind is registered.
    let reg = unsafe { &*(*dev).rtnl_link_ops.cast::<Registration<T>>() };
    // SAFETY: the private area is `size_of::<Priv<T>>()` bytes, aligned to
    // NETDEV_ALIGN (checked against its alignment at registration), and
    // uninitialised until now.
    let area = unsafe { b::wgrs_netdev_priv(dev) }.cast::<Priv<T>>();
    // SAFETY: rtnl passes valid parameters for the whole callback.
    let link_net = unsafe { Net::from_raw(b::wgrs_newlink_link_net(params)) };
    // INVARIANT: the handle's pointer is this device, and the destructor
    // (or the failure paths below) revoke it before the device is freed.
    let Some(devp) = NonNull::new(dev) else {
        return EINVAL.to_errno();
    };
    let handle = match Arc::pin_init(Revocable::new(Ok::<_, Error>(DevPtr(devp))), GFP_KERNEL) {
        Ok(h) => h,
        Err(e) => return e.to_errno(),
    };
    let init = T::newlink(nd, &handle, &reg.ctx, link_net);
    // SAFETY: `area` is valid for writes and never moves (the private area
    // lives as long as the device).
    let slot = unsafe { &raw mut (*area).data };
    // SAFETY: `slot` is valid for writes and never moves; on error it is left
    // uninitialised, and the core frees the device without calling a
    // destructor.
    if let Err(e) = unsafe { <_ as pin_init::PinInit<T, Error>>::__init(init, slot) } {
        handle.revoke();
        return e.to_errno();
    }
    // SAFETY: `area` is valid for writes; the handle field is uninitialised.
    unsafe { (&raw mut (*area).handle).write(handle) };
    // SAFETY: `dev` is a fully set-up device and we hold RTNL.
    let ret = unsafe { b::register_netdevice(dev) };
    if ret < 0 {
        // SAFETY: registration failed, so no callback saw `T`; the core
        // frees the device without calling a destructor (none is set yet).
        unsafe { drop_priv::<T>(area) };
        return ret;
    }
    // Set last so that a failed registration does not run it for us.
    // SAFETY: we hold RTNL and the device is ours to configure.
    unsafe { (*dev).priv_destructor = Some(destructor_callback::<T>) };
    // SAFETY: the private area never moves while the device exists.
    T::registered(nd, unsafe { Pin::new_unchecked(&*slot) });
    0
}

/// Drops the driver's data, then revokes and drops the handle.
///
/// # Safety
///
/// `area` must hold an initialised `Priv<T>` that nothing uses any more
/// but through the handle, and is not used after.
unsafe fn drop_priv<T>(area: *mut Priv<T>) {
    // SAFETY: by the caller's promise.
    unsafe {
        core::ptr::drop_in_place(&raw mut (*area).data);
        (*area).handle.revoke();
        core::ptr::drop_in_place(&raw mut (*area).handle);
    }
}

/// # Safety
///
/// Called once by the core when the device is being freed.
unsafe extern "C" fn destructor_callback<T: LinkDriver>(dev: *mut b::net_device) {
    // SAFETY: the destructor is set only after the private area was
    // written, and runs once after the device is unregistered and unused.
    unsafe { drop_priv::<T>(b::wgrs_netdev_priv(dev).cast::<Priv<T>>()) };
}

/// # Safety
///
/// `dev` must be a registered device of driver `T`.
unsafe fn parts<'a, T: LinkDriver>(dev: *mut b::net_device) -> (&'a NetDevice, &'a T) {
    // SAFETY: valid device by the caller's promise.
    let nd = unsafe { NetDevice::from_raw(dev) };
    // SAFETY: registered devices of `T` hold an initialised `Priv<T>`.
    let this = unsafe { &(*b::wgrs_netdev_priv(dev).cast::<Priv<T>>()).data };
    (nd, this)
}

/// # Safety
///
/// Called by the core only for registered devices of driver `T`.
unsafe extern "C" fn open_callback<T: LinkDriver>(dev: *mut b::net_device) -> c_int {
    // SAFETY: ndo callbacks only run on registered devices of ours.
    let (nd, this) = unsafe { parts::<T>(dev) };
    match T::open(nd, this) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the core only for registered devices of driver `T`.
unsafe extern "C" fn stop_callback<T: LinkDriver>(dev: *mut b::net_device) -> c_int {
    // SAFETY: ndo callbacks only run on registered devices of ours.
    let (nd, this) = unsafe { parts::<T>(dev) };
    match T::stop(nd, this) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the core, under RTNL, for a device of driver `T` being
/// unregistered, or whose registration failed after `ndo_init` (we have
/// none, so only the first).
unsafe extern "C" fn uninit_callback<T: LinkDriver>(dev: *mut b::net_device) {
    // SAFETY: the private data is initialised before `register_netdevice`
    // and dropped only by the destructor, which runs after this.
    let (nd, this) = unsafe { parts::<T>(dev) };
    T::uninit(nd, this);
}

/// # Safety
///
/// Called by the core only for registered devices of driver `T`.
unsafe extern "C" fn start_xmit_callback<T: LinkDriver>(
    skb: *mut b::sk_buff,
    dev: *mut b::net_device,
) -> b::netdev_tx_t {
    // SAFETY: ndo callbacks only run on registered devices of ours.
    let (nd, this) = unsafe { parts::<T>(dev) };
    if let Some(skb) = NonNull::new(skb) {
        // SAFETY: the stack hands the skb's ownership to `ndo_start_xmit`.
        T::start_xmit(nd, this, unsafe { SkBuff::from_raw(skb) });
    }
    b::NETDEV_TX_OK
}

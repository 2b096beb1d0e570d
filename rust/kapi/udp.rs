// SPDX-License-Identifier: GPL-2.0

//! UDP tunnel sockets (`include/net/udp_tunnel.h`): kernel sockets bound
//! to a port whose datagrams are handed to an encapsulation callback
//! instead of a socket queue, and through which encapsulated packets are
//! routed and sent; plus the per-destination route cache (`dst_cache`).

use super::bindings as b;
use super::netdev::{
    Net,
    NetDevice, //
};
use super::skb::SkBuff;
use core::{
    ffi::c_void,
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    ffi::c_int,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
};

/// Who gets the datagrams of a [`TunnelSocket`].
pub(crate) trait EncapReceiver: Send + Sync + 'static {
    /// A datagram arrived (softirq context); the receiver owns it.
    fn receive(this: ArcBorrow<'_, Self>, skb: SkBuff);
}

/// An open UDP tunnel socket, closed on drop, handing datagrams to an
/// `R`.
///
/// # Invariants
///
/// `sk` is a kernel UDP socket set up by `wgrs_udp_tunnel_open` that this
/// value owns, open until the value is dropped. Its `sk_user_data` is a
/// reference to an `R` from `Arc::into_raw`, taken back on drop after the
/// socket is released (so no callback runs with it any more).
pub(crate) struct TunnelSocket<R: EncapReceiver> {
    sk: NonNull<b::sock>,
    receiver: *const R,
    _r: PhantomData<Arc<R>>,
}

// SAFETY: the socket is only used through its own locking; we own it, and
// the receiver is `Send + Sync`.
unsafe impl<R: EncapReceiver> Send for TunnelSocket<R> {}
// SAFETY: `&self` methods route and send, which the stack serialises.
unsafe impl<R: EncapReceiver> Sync for TunnelSocket<R> {}

impl<R: EncapReceiver> TunnelSocket<R> {
    /// Opens an IPv4 (or IPv6-only) socket in `net` bound to `port` on every
    /// address (0: a free port), whose datagrams go to `receiver`.
    pub(crate) fn open(net: &Net, ipv6: bool, port: u16, receiver: Arc<R>) -> Result<Self> {
        let mut err: c_int = 0;
        let data = Arc::into_raw(receiver);
        // SAFETY: `net` is live while borrowed; the callback is valid for the
        // module's lifetime, and sockets are closed before the module goes.
        let sk = unsafe {
            b::wgrs_udp_tunnel_open(
                net.as_raw(),
                ipv6,
                port,
                data.cast_mut().cast::<c_void>(),
                Some(encap_rcv::<R>),
                &mut err,
            )
        };
        match NonNull::new(sk) {
            // INVARIANT: the socket is ours and carries the reference.
            Some(sk) => Ok(Self {
                sk,
                receiver: data,
                _r: PhantomData,
            }),
            None => {
                // SAFETY: no socket was made, so the reference is still ours.
                drop(unsafe { Arc::from_raw(data) });
                Err(Error::from_errno(err))
            }
        }
    }

    /// The local port the socket is bound to.
    pub(crate) fn port(&self) -> u16 {
        // SAFETY: the socket is open.
        unsafe { b::wgrs_sock_local_port(self.sk.as_ptr()) }
    }

    /// Routes a UDP flow to `daddr:dport` (network order) from `*saddr`
    /// (0.0.0.0: any, and then routing's choice is stored there) with
    /// firewall mark `mark`.
    pub(crate) fn route4(
        &self,
        saddr: &mut [u8; 4],
        daddr: [u8; 4],
        dport: [u8; 2],
        mark: u32,
    ) -> Result<Route4> {
        let mut err = 0;
        let mut s = u32::from_ne_bytes(*saddr);
        // SAFETY: the socket is open; the shim builds the flow on its stack.
        let rt = unsafe {
            b::wgrs_route4(
                self.sk.as_ptr(),
                &mut s,
                u32::from_ne_bytes(daddr),
                u16::from_ne_bytes(dport),
                mark,
                &mut err,
            )
        };
        *saddr = s.to_ne_bytes();
        // INVARIANT: a non-null route carries a reference for us.
        NonNull::new(rt)
            .map(Route4)
            .ok_or_else(|| Error::from_errno(err))
    }

    /// Whether `addr` is a local address in the socket's namespace.
    pub(crate) fn is_local4(&self, addr: [u8; 4]) -> bool {
        // SAFETY: the socket is open.
        unsafe { b::wgrs_local_addr4(self.sk.as_ptr(), u32::from_ne_bytes(addr)) }
    }

    /// Sends `skb` (an encapsulated packet) over `route` from
    /// `saddr` to `daddr:dport` with DS field `ds` and mark `mark`, counting
    /// it on `count_on` if given (the tunnel transmit counts one packet of
    /// the bytes after the inner network header; a GSO packet's caller
    /// counts its segments itself). Consumes both.
    #[expect(clippy::too_many_arguments)]
    pub(crate) fn send4(
        &self,
        route: Route4,
        skb: SkBuff,
        count_on: Option<&NetDevice>,
        saddr: [u8; 4],
        daddr: [u8; 4],
        dport: [u8; 2],
        ds: u8,
        mark: u32,
    ) {
        let rt = route.into_raw();
        let dev = count_on.map_or(core::ptr::null_mut(), NetDevice::as_raw);
        // SAFETY: the socket is open; the route and skb are ours to hand over
        // (the transmit consumes both); `dev` is valid for the call or null
        // (the tunnel transmit then counts nowhere).
        unsafe {
            b::wgrs_udp_xmit4(
                rt,
                self.sk.as_ptr(),
                skb.into_raw(),
                dev,
                u32::from_ne_bytes(saddr),
                u32::from_ne_bytes(daddr),
                u16::from_ne_bytes(dport),
                ds,
                mark,
            )
        };
    }

    /// As [`TunnelSocket::route4`] for IPv6, leaving through interface
    /// `oif` if not 0 (the scope of a link-local destination).
    pub(crate) fn route6(
        &self,
        saddr: &mut [u8; 16],
        daddr: &[u8; 16],
        dport: [u8; 2],
        oif: u32,
        mark: u32,
    ) -> Result<Route6> {
        let mut err = 0;
        // SAFETY: the socket is open; the addresses are 16 bytes, the layout
        // of `in6_addr`.
        let dst = unsafe {
            b::wgrs_route6(
                self.sk.as_ptr(),
                saddr.as_mut_ptr().cast(),
                daddr.as_ptr().cast(),
                u16::from_ne_bytes(dport),
                oif,
                mark,
                &mut err,
            )
        };
        // INVARIANT: a non-null route carries a reference for us.
        NonNull::new(dst)
            .map(Route6)
            .ok_or_else(|| Error::from_errno(err))
    }

    /// Whether `addr` is a local IPv6 address in the socket's namespace.
    pub(crate) fn is_local6(&self, addr: &[u8; 16]) -> bool {
        // SAFETY: the socket is open; the address has `in6_addr`'s layout.
        unsafe { b::wgrs_local_addr6(self.sk.as_ptr(), addr.as_ptr().cast()) }
    }

    /// As [`TunnelSocket::send4`] for IPv6.
    #[expect(clippy::too_many_arguments)]
    pub(crate) fn send6(
        &self,
        route: Route6,
        skb: SkBuff,
        count_on: Option<&NetDevice>,
        saddr: &[u8; 16],
        daddr: &[u8; 16],
        dport: [u8; 2],
        ds: u8,
        mark: u32,
    ) {
        let dst = route.into_raw();
        let dev = count_on.map_or(core::ptr::null_mut(), NetDevice::as_raw);
        // SAFETY: as in `send4`; the addresses have `in6_addr`'s layout.
        unsafe {
            b::wgrs_udp_xmit6(
                dst,
                self.sk.as_ptr(),
                skb.into_raw(),
                dev,
                saddr.as_ptr().cast(),
                daddr.as_ptr().cast(),
                u16::from_ne_bytes(dport),
                ds,
                mark,
            )
        };
    }
}

impl<R: EncapReceiver> Drop for TunnelSocket<R> {
    fn drop(&mut self) {
        // SAFETY: the socket is open and ours; it is released exactly once,
        // which clears its user data and waits for running callbacks.
        unsafe { b::wgrs_udp_tunnel_close(self.sk.as_ptr()) }
        // SAFETY: the reference stored at open; no callback can use it now.
        drop(unsafe { Arc::from_raw(self.receiver) });
    }
}

/// Whether IPv6 sockets can be made (IPv6 built in and not disabled).
pub(crate) fn ipv6_enabled() -> bool {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_ipv6_enabled() }
}

/// # Safety
///
/// Called by the UDP stack (softirq, RCU read-side) with a datagram for one
/// of our sockets, which we then own.
unsafe extern "C" fn encap_rcv<R: EncapReceiver>(sk: *mut b::sock, skb: *mut b::sk_buff) -> c_int {
    let Some(skb) = NonNull::new(skb) else {
        return 0;
    };
    // SAFETY: the stack hands the skb over to us.
    let skb = unsafe { SkBuff::from_raw(skb) };
    // SAFETY: `sk` is our live socket; its user data is null once it is
    // being released, else the receiver reference it holds.
    let data = unsafe { b::wgrs_sock_user_data(sk) };
    if data.is_null() {
        return 0;
    }
    // SAFETY: `data` is the socket's reference from `Arc::into_raw`, which
    // keeps the receiver alive until the socket is released, and release
    // waits for this callback.
    let receiver = unsafe { ArcBorrow::from_raw(data.cast::<R>()) };
    R::receive(receiver, skb);
    0
}

/// A routed IPv4 destination (`struct rtable`), holding a reference.
///
/// # Invariants
///
/// `0` holds one reference on a route, released on drop.
pub(crate) struct Route4(NonNull<b::rtable>);

impl Route4 {
    /// The index of the interface the route leaves through.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: the route is valid while we hold it.
        unsafe { b::wgrs_rtable_ifindex(self.0.as_ptr()) }
    }

    fn into_raw(self) -> *mut b::rtable {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Route4 {
    fn drop(&mut self) {
        // SAFETY: we hold one reference.
        unsafe { b::wgrs_rtable_put(self.0.as_ptr()) };
    }
}

/// A routed IPv6 destination (`struct dst_entry`), holding a reference.
///
/// # Invariants
///
/// `0` holds one reference on a route, released on drop.
pub(crate) struct Route6(NonNull<b::dst_entry>);

impl Route6 {
    fn into_raw(self) -> *mut b::dst_entry {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Route6 {
    fn drop(&mut self) {
        // SAFETY: we hold one reference.
        unsafe { b::wgrs_dst_release(self.0.as_ptr()) };
    }
}

/// A per-CPU cache of the route to one destination and the source address
/// chosen for it (`struct dst_cache`). Callers serialise changes against
/// `reset` with their own lock (as the C driver's endpoint lock does).
///
/// # Invariants
///
/// `0` was set up by `dst_cache_init` and is destroyed on drop.
pub(crate) struct DstCache(b::dst_cache);

// SAFETY: the cache's per-CPU storage may be used from any CPU.
unsafe impl Send for DstCache {}
// SAFETY: `&self` methods are the cache's per-CPU operations.
unsafe impl Sync for DstCache {}

impl DstCache {
    /// An empty cache.
    pub(crate) fn new() -> Result<Self> {
        let mut c: b::dst_cache = pin_init::zeroed();
        // SAFETY: `c` is a zeroed cache to set up (the per-CPU storage is
        // allocated; the struct itself may move afterwards).
        kernel::error::to_result(unsafe { b::dst_cache_init(&mut c, b::WGRS_GFP_KERNEL) })?;
        // INVARIANT: set up just above.
        Ok(Self(c))
    }

    fn raw(&self) -> *mut b::dst_cache {
        core::ptr::from_ref(&self.0).cast_mut()
    }

    /// The cached IPv4 route and the source address it was made with.
    pub(crate) fn get4(&self) -> Option<(Route4, [u8; 4])> {
        let mut saddr = 0u32;
        // SAFETY: the cache is set up; a hit carries a reference for us.
        let rt = unsafe { b::dst_cache_get_ip4(self.raw(), &mut saddr) };
        // INVARIANT: a non-null result carries a reference.
        NonNull::new(rt).map(|rt| (Route4(rt), saddr.to_ne_bytes()))
    }

    /// Caches `route` with source address `saddr`.
    pub(crate) fn set4(&self, route: &Route4, saddr: [u8; 4]) {
        // SAFETY: the cache is set up; it takes its own reference.
        unsafe {
            b::dst_cache_set_ip4(
                self.raw(),
                b::wgrs_rtable_dst(route.0.as_ptr()),
                u32::from_ne_bytes(saddr),
            )
        };
    }

    /// The cached IPv6 route and its source address.
    pub(crate) fn get6(&self) -> Option<(Route6, [u8; 16])> {
        let mut saddr: b::in6_addr = pin_init::zeroed();
        // SAFETY: the cache is set up; a hit carries a reference for us.
        let dst = unsafe { b::dst_cache_get_ip6(self.raw(), &mut saddr) };
        // SAFETY: `in6_addr` is 16 bytes in every view.
        let s = unsafe { saddr.in6_u.u6_addr8 };
        // INVARIANT: a non-null result carries a reference.
        NonNull::new(dst).map(|d| (Route6(d), s))
    }

    /// Caches `route` with source address `saddr`.
    pub(crate) fn set6(&self, route: &Route6, saddr: &[u8; 16]) {
        // SAFETY: the cache is set up; it takes its own reference; the
        // address has `in6_addr`'s layout.
        unsafe { b::dst_cache_set_ip6(self.raw(), route.0.as_ptr(), saddr.as_ptr().cast()) };
    }

    /// Forgets the cached routes (lazily, per CPU).
    pub(crate) fn reset(&self) {
        // SAFETY: the cache is set up.
        unsafe { b::wgrs_dst_cache_reset(self.raw()) };
    }

    /// Forgets the cached routes at once, releasing them.
    pub(crate) fn reset_now(&self) {
        // SAFETY: the cache is set up.
        unsafe { b::dst_cache_reset_now(self.raw()) };
    }
}

impl Drop for DstCache {
    fn drop(&mut self) {
        // SAFETY: set up by `new`, destroyed once.
        unsafe { b::dst_cache_destroy(&mut self.0) };
    }
}

// SPDX-License-Identifier: GPL-2.0

//! UDP tunnel sockets (`include/net/udp_tunnel.h`): kernel sockets bound
//! to a port whose datagrams are handed to an encapsulation callback
//! instead of a socket queue.

use super::bindings as b;
use super::netdev::Net;
use core::ptr::{
    null_mut,
    NonNull, //
};
use kernel::{
    ffi::c_int,
    prelude::*, //
};

/// An open UDP tunnel socket, closed on drop.
///
/// # Invariants
///
/// `0` is a kernel UDP socket set up by `wgrs_udp_tunnel_open` that this
/// value owns: it stays open until the value is dropped, which closes it
/// (and waits for its readers) exactly once.
pub(crate) struct TunnelSocket(NonNull<b::sock>);

// SAFETY: the socket is only used through its own locking; we just own it.
unsafe impl Send for TunnelSocket {}
// SAFETY: `&self` methods only read the bound port.
unsafe impl Sync for TunnelSocket {}

impl TunnelSocket {
    /// Opens an IPv4 (or IPv6-only) socket in `net` bound to `port` on every
    /// address (0: a free port). Received datagrams are dropped: there is
    /// no packet path yet.
    pub(crate) fn open(net: &Net, ipv6: bool, port: u16) -> Result<Self> {
        let mut err: c_int = 0;
        // SAFETY: `net` is live while borrowed; the callback is valid for the
        // module's lifetime, and sockets are closed before the module goes.
        let sk = unsafe {
            b::wgrs_udp_tunnel_open(
                net.as_raw(),
                ipv6,
                port,
                null_mut(),
                Some(drop_datagram),
                &mut err,
            )
        };
        NonNull::new(sk).map(Self).ok_or(Error::from_errno(err))
    }

    /// The local port the socket is bound to.
    pub(crate) fn port(&self) -> u16 {
        // SAFETY: the socket is open.
        unsafe { b::wgrs_sock_local_port(self.0.as_ptr()) }
    }
}

impl Drop for TunnelSocket {
    fn drop(&mut self) {
        // SAFETY: the socket is open and ours; it is released exactly once.
        unsafe { b::wgrs_udp_tunnel_close(self.0.as_ptr()) }
    }
}

/// Whether IPv6 sockets can be made (IPv6 built in and not disabled).
pub(crate) fn ipv6_enabled() -> bool {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_ipv6_enabled() }
}

/// # Safety
///
/// Called by the UDP stack with a datagram for one of our sockets, which
/// we then own.
unsafe extern "C" fn drop_datagram(_sk: *mut b::sock, skb: *mut b::sk_buff) -> c_int {
    // SAFETY: the skb is ours to consume.
    unsafe { b::wgrs_kfree_skb(skb) };
    0
}

// SPDX-License-Identifier: GPL-2.0

//! The device's UDP sockets (the C driver's `socket.c`): an IPv4 socket
//! and an IPv6-only socket on the same port, in the namespace the device
//! was created in; sending to a peer's endpoint over a cached route from a
//! sticky source address; and learning endpoints from what we receive.

use crate::device::Wg;
use crate::kapi::netdev::{
    device,
    Net,
    NetDevice, //
};
use crate::kapi::rcu::ReadGuard;
use crate::kapi::skb::{
    GsoBatch,
    SkBuff,
    SkbList,
    ETH_P_IP,
    ETH_P_IPV6, //
};
use crate::kapi::time;
use crate::kapi::udp::{
    self,
    EncapReceiver,
    TunnelSocket, //
};
use crate::peer::{
    Endpoint,
    EndpointSource,
    EndpointState,
    Peer, //
};
use kernel::{
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
};

/// How often a random port is drawn again when the IPv6 socket cannot get
/// the port the IPv4 socket got (as in the C driver).
const PORT_RETRIES: u32 = 100;

/// Headroom reserved in handshake and reply packets for the outer headers.
const SKB_HEADER_LEN: u32 = 16 + 40 + 8 + 64;

/// The bound sockets of a device that is up.
pub(crate) struct Sockets {
    v4: TunnelSocket<Wg>,
    v6: Option<TunnelSocket<Wg>>,
}

impl EncapReceiver for Wg {
    fn receive(this: ArcBorrow<'_, Self>, skb: SkBuff) {
        crate::receive::packet_receive(this, skb);
    }
}

impl Sockets {
    /// Binds both sockets to `port` (0: a port free for both) in `net`,
    /// delivering to `wg`. `EADDRINUSE` if the port is taken, as the C
    /// driver reports it.
    pub(crate) fn bind(net: &Net, port: u16, wg: &Arc<Wg>) -> Result<Self> {
        let mut retries = 0;
        loop {
            let v4 = TunnelSocket::open(net, false, port, wg.clone()).inspect_err(|e| {
                pr_debug!("could not create IPv4 socket on port {}: {:?}\n", port, e);
            })?;
            if !udp::ipv6_enabled() {
                return Ok(Self { v4, v6: None });
            }
            match TunnelSocket::open(net, true, v4.port(), wg.clone()) {
                Ok(v6) => return Ok(Self { v4, v6: Some(v6) }),
                Err(e) if e == EADDRINUSE && port == 0 && retries < PORT_RETRIES => {
                    retries += 1;
                }
                Err(e) => {
                    pr_debug!("could not create IPv6 socket on port {}: {:?}\n", port, e);
                    return Err(e);
                }
            }
        }
    }

    /// The port both sockets are bound to.
    pub(crate) fn port(&self) -> u16 {
        self.v4.port()
    }
}

/// A route to a peer with the addresses to send with.
enum Resolved {
    V4 {
        route: crate::kapi::udp::Route4,
        saddr: [u8; 4],
        daddr: [u8; 4],
        dport: [u8; 2],
    },
    V6 {
        route: crate::kapi::udp::Route6,
        saddr: [u8; 16],
        daddr: [u8; 16],
        dport: [u8; 2],
    },
}

/// Finds the route to `addr` from `source`, using and filling `cache` when
/// given (the routing half of the C driver's `send4`/`send6`). The endpoint
/// source is forgotten when it went stale.
fn resolve(
    wg: &Wg,
    socks: &Sockets,
    addr: &Endpoint,
    source: &mut EndpointSource,
    cache: Option<&crate::kapi::udp::DstCache>,
) -> Result<Resolved> {
    let mark = wg.fwmark();
    match addr {
        Endpoint::V4(_) => {
            let daddr = addr.addr4().ok_or(EAFNOSUPPORT)?;
            let dport = addr.port();
            let sock = &socks.v4;
            let mut saddr = source.src4;
            if let Some((route, s)) = cache.and_then(|c| c.get4()) {
                return Ok(Resolved::V4 {
                    route,
                    saddr: s,
                    daddr,
                    dport,
                });
            }
            if !sock.is_local4(saddr) {
                // The sticky source is gone: let routing choose.
                source.src4 = [0; 4];
                source.src_if4 = 0;
                saddr = [0; 4];
                if let Some(c) = cache {
                    c.reset();
                }
            }
            let mut rt = sock.route4(&mut saddr, daddr, dport, mark);
            let wrong_if = source.src_if4 != 0
                && match &rt {
                    Err(e) => *e == EINVAL,
                    Ok(r) => r.ifindex() != source.src_if4,
                };
            if wrong_if {
                source.src4 = [0; 4];
                source.src_if4 = 0;
                saddr = [0; 4];
                if let Some(c) = cache {
                    c.reset();
                }
                drop(rt);
                rt = sock.route4(&mut saddr, daddr, dport, mark);
            }
            let route = rt?;
            if let Some(c) = cache {
                c.set4(&route, saddr);
            }
            Ok(Resolved::V4 {
                route,
                saddr,
                daddr,
                dport,
            })
        }
        Endpoint::V6(_) => {
            let (daddr, scope) = addr.addr6().ok_or(EAFNOSUPPORT)?;
            let dport = addr.port();
            let sock = socks.v6.as_ref().ok_or(EAFNOSUPPORT)?;
            let mut saddr = source.src6;
            if let Some((route, s)) = cache.and_then(|c| c.get6()) {
                return Ok(Resolved::V6 {
                    route,
                    saddr: s,
                    daddr,
                    dport,
                });
            }
            if saddr != [0; 16] && !sock.is_local6(&saddr) {
                source.src6 = [0; 16];
                saddr = [0; 16];
                if let Some(c) = cache {
                    c.reset();
                }
            }
            let route = sock.route6(&mut saddr, &daddr, dport, scope, wg.fwmark())?;
            if let Some(c) = cache {
                c.set6(&route, &saddr);
            }
            Ok(Resolved::V6 {
                route,
                saddr,
                daddr,
                dport,
            })
        }
        Endpoint::None => Err(EAFNOSUPPORT),
    }
}

/// Sends an encapsulated packet over a resolved route. Consumes the skb.
/// No lock of ours is held: the packet may come back through this device.
/// The caller has bottom halves disabled, as the C driver's send under its
/// endpoint lock does: the IP stack's per-CPU state (the transmit recursion
/// count, statistics) assumes the CPU cannot change in the middle, and
/// callers include work items in process context. The peer send counts
/// inside the same section, so the callers open it (nesting it here too
/// was a second disable and enable on every packet).
fn transmit_bh_off(
    wg: &Wg,
    count_on: Option<&NetDevice>,
    socks: &Sockets,
    r: Resolved,
    skb: SkBuff,
    ds: u8,
) -> Result {
    let mark = wg.fwmark();
    match r {
        Resolved::V4 {
            route,
            saddr,
            daddr,
            dport,
        } => {
            socks
                .v4
                .send4(route, skb, count_on, saddr, daddr, dport, ds, mark);
            Ok(())
        }
        Resolved::V6 {
            route,
            saddr,
            daddr,
            dport,
        } => {
            let sock = socks.v6.as_ref().ok_or(EAFNOSUPPORT)?;
            sock.send6(route, skb, count_on, &saddr, &daddr, dport, ds, mark);
            Ok(())
        }
    }
}

/// Sends an encapsulated packet to `peer`'s endpoint, counting its bytes
/// as sent when it went out (the C driver's `wg_socket_send_skb_to_peer`).
pub(crate) fn send_skb_to_peer(peer: &Peer, skb: SkBuff, ds: u8) -> Result {
    send_to_peer(peer, skb, ds, None)
}

/// Sends `skb` to `peer`'s endpoint over the cached route. The tunnel
/// transmit counts a single packet on the device; a GSO packet of
/// `segments` (packets, bytes) is counted here instead, as its segments.
fn send_to_peer(peer: &Peer, skb: SkBuff, ds: u8, segments: Option<(usize, usize)>) -> Result {
    let len = skb.len();
    let wg = &*peer.device;
    let g = ReadGuard::new();
    let (Some(dev), Some(socks)) = (device(&wg.dev, &g), wg.sockets.get(&g)) else {
        return Err(ENONET);
    };
    let route = {
        let mut ep = peer.endpoint.lock();
        let EndpointState {
            addr,
            source,
            cache,
        } = &mut *ep;
        let addr = *addr;
        resolve(wg, socks, &addr, source, Some(cache))?
    };
    let count_on = segments.is_none().then_some(dev);
    // Counted before bottom halves come back on, as the C driver counts
    // under its endpoint lock: on loopback or veth the receiver runs in
    // this CPU's softirq then, and nothing of its answer may arrive before
    // this side counts what it sent (with two CPUs a ping's reply was seen
    // back before its request was counted). The per-CPU statistics need
    // the section too.
    time::with_bh_disabled(|| {
        transmit_bh_off(wg, count_on, socks, route, skb, ds)?;
        if let Some((packets, bytes)) = segments {
            dev.count_tx(packets, bytes);
        }
        peer.count_tx(len);
        Ok(())
    })
}

/// A run of packets on their way to one peer that leave as one UDP GSO
/// packet: one DS field, the geometry of a [`GsoBatch`].
struct Run {
    batch: GsoBatch,
    ds: u8,
    bytes: usize,
    data: bool,
}

impl Run {
    const fn new() -> Self {
        Self {
            batch: GsoBatch::new(),
            ds: 0,
            bytes: 0,
            data: false,
        }
    }

    /// Adds `skb` (a keepalive unless `data`) if it can join the run.
    fn add(&mut self, skb: SkBuff, ds: u8, data: bool) -> core::result::Result<(), SkBuff> {
        if !self.batch.is_empty() && ds != self.ds {
            return Err(skb);
        }
        let len = skb.len();
        self.batch.try_push(skb)?;
        self.ds = ds;
        self.bytes += len;
        self.data |= data;
        Ok(())
    }

    /// Sends the run and empties it: whether a data packet of it went out.
    fn send(&mut self, peer: &Peer) -> bool {
        let Run {
            batch,
            ds,
            bytes,
            data,
        } = core::mem::replace(self, Run::new());
        let packets = batch.len();
        let Some(skb) = batch.finish() else {
            return false;
        };
        // The device counts each segment, whole, as the tunnel transmit
        // counts a single packet.
        let segments = (packets > 1).then_some((packets, bytes));
        send_to_peer(peer, skb, ds, segments).is_ok() && data
    }
}

/// Sends encrypted data messages to `peer`'s endpoint in order, each run of
/// them that a UDP GSO packet can carry (the same DS field, the same size
/// but the last, see [`GsoBatch`]) as one (the C driver sends each alone).
/// Returns whether a packet that `is_data` went out.
pub(crate) fn send_data_to_peer(
    peer: &Peer,
    packets: SkbList,
    mut is_data: impl FnMut(&SkBuff) -> bool,
) -> bool {
    if packets.len() == 1 {
        // A lone packet (a ping, a request, an ACK) has no run to join.
        let mut packets = packets;
        let Some(skb) = packets.pop_front() else {
            return false;
        };
        let ds = skb.cb().ds;
        let data = is_data(&skb);
        return send_skb_to_peer(peer, skb, ds).is_ok() && data;
    }
    let mut data_sent = false;
    let mut run = Run::new();
    for skb in packets {
        let ds = skb.cb().ds;
        let data = is_data(&skb);
        let Err(skb) = run.add(skb, ds, data) else {
            continue;
        };
        data_sent |= run.send(peer);
        if let Err(skb) = run.add(skb, ds, data) {
            // No run takes it (it is not linear, say): it goes alone.
            data_sent |= send_skb_to_peer(peer, skb, ds).is_ok() && data;
        }
    }
    data_sent |= run.send(peer);
    data_sent
}

/// A packet holding `buf`, with room for the outer headers.
fn packet_of(buf: &[u8]) -> Result<SkBuff> {
    let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
    let mut skb = SkBuff::alloc(SKB_HEADER_LEN, len).ok_or(ENOMEM)?;
    skb.put_data(buf);
    Ok(skb)
}

/// Sends `buf` (a handshake message) to `peer`.
pub(crate) fn send_buffer_to_peer(peer: &Peer, buf: &[u8], ds: u8) -> Result {
    send_skb_to_peer(peer, packet_of(buf)?, ds)
}

/// Sends `buf` (a cookie reply) back to where `in_skb` came from, without
/// touching any peer's endpoint or route cache.
pub(crate) fn send_buffer_as_reply(wg: &Wg, in_skb: &SkBuff, buf: &[u8]) -> Result {
    let (addr, mut source) = endpoint_from_skb(in_skb).ok_or(EINVAL)?;
    let skb = packet_of(buf)?;
    let g = ReadGuard::new();
    let (Some(dev), Some(socks)) = (device(&wg.dev, &g), wg.sockets.get(&g)) else {
        return Err(ENONET);
    };
    let route = resolve(wg, socks, &addr, &mut source, None)?;
    time::with_bh_disabled(|| transmit_bh_off(wg, Some(dev), socks, route, skb, 0))
}

/// Where a received datagram came from and the local address it was sent
/// to (the C driver's `wg_socket_endpoint_from_skb`).
pub(crate) fn endpoint_from_skb(skb: &SkBuff) -> Option<(Endpoint, EndpointSource)> {
    match skb.protocol() {
        ETH_P_IP => {
            let (s, d, port) = skb.outer_v4();
            Some((
                Endpoint::v4(s, port),
                EndpointSource {
                    src4: d,
                    src_if4: skb.iif(),
                    src6: [0; 16],
                },
            ))
        }
        ETH_P_IPV6 => {
            let (s, d, port, scope) = skb.outer_v6();
            Some((
                Endpoint::v6(s, port, scope),
                EndpointSource {
                    src4: [0; 4],
                    src_if4: 0,
                    src6: d,
                },
            ))
        }
        _ => None,
    }
}

/// Points `peer` at `addr`, sending from `source`, if that differs from
/// what it has (roaming; the C driver's `wg_socket_set_peer_endpoint`).
pub(crate) fn set_peer_endpoint(peer: &Peer, addr: &Endpoint, source: &EndpointSource) {
    let mut ep = peer.endpoint.lock();
    let same = match (addr, &ep.addr) {
        (Endpoint::V4(_), Endpoint::V4(_)) => {
            ep.addr.same_address(addr)
                && ep.source.src4 == source.src4
                && ep.source.src_if4 == source.src_if4
        }
        (Endpoint::V6(_), Endpoint::V6(_)) => {
            ep.addr.same_address(addr) && ep.source.src6 == source.src6
        }
        _ => false,
    };
    if same || matches!(addr, Endpoint::None) {
        return;
    }
    peer.store_endpoint(&mut ep, *addr, *source);
}

/// Roams `peer` to where `skb` came from.
pub(crate) fn set_peer_endpoint_from_skb(peer: &Peer, skb: &SkBuff) {
    if let Some((addr, source)) = endpoint_from_skb(skb) {
        set_peer_endpoint(peer, &addr, &source);
    }
}

/// Forgets `peer`'s sticky source (it may be what breaks a handshake).
pub(crate) fn clear_endpoint_source(peer: &Peer) {
    let mut ep = peer.endpoint.lock();
    ep.source = EndpointSource::default();
    ep.cache.reset_now();
}

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
    SkBuff,
    ETH_P_IP,
    ETH_P_IPV6, //
};
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

/// Sends an encapsulated packet to `addr` from `source`, using and filling
/// `cache` when given (the C driver's `send4`/`send6`). The endpoint source
/// is updated when it went stale. Consumes the skb.
#[expect(clippy::too_many_arguments)]
fn send(
    wg: &Wg,
    dev: &NetDevice,
    socks: &Sockets,
    skb: SkBuff,
    addr: &Endpoint,
    source: &mut EndpointSource,
    ds: u8,
    cache: Option<&crate::kapi::udp::DstCache>,
) -> Result {
    let mark = wg.fwmark();
    match addr {
        Endpoint::V4(_) => {
            let daddr = addr.addr4().ok_or(EAFNOSUPPORT)?;
            let dport = addr.port();
            let sock = &socks.v4;
            let mut saddr = source.src4;
            let cached = cache.and_then(|c| c.get4());
            let rt = match cached {
                Some((rt, s)) => {
                    saddr = s;
                    rt
                }
                None => {
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
                    let rt = rt?;
                    if let Some(c) = cache {
                        c.set4(&rt, saddr);
                    }
                    rt
                }
            };
            sock.send4(rt, skb, dev, saddr, daddr, dport, ds, mark);
            Ok(())
        }
        Endpoint::V6(_) => {
            let (daddr, scope) = addr.addr6().ok_or(EAFNOSUPPORT)?;
            let dport = addr.port();
            let sock = socks.v6.as_ref().ok_or(EAFNOSUPPORT)?;
            let mut saddr = source.src6;
            let cached = cache.and_then(|c| c.get6());
            let dst = match cached {
                Some((dst, s)) => {
                    saddr = s;
                    dst
                }
                None => {
                    if saddr != [0; 16] && !sock.is_local6(&saddr) {
                        source.src6 = [0; 16];
                        saddr = [0; 16];
                        if let Some(c) = cache {
                            c.reset();
                        }
                    }
                    let dst = sock.route6(&mut saddr, &daddr, dport, scope, mark)?;
                    if let Some(c) = cache {
                        c.set6(&dst, &saddr);
                    }
                    dst
                }
            };
            sock.send6(dst, skb, dev, &saddr, &daddr, dport, ds, mark);
            Ok(())
        }
        Endpoint::None => Err(EAFNOSUPPORT),
    }
}

/// Sends an encapsulated packet to `peer`'s endpoint, counting its bytes
/// as sent when it went out (the C driver's `wg_socket_send_skb_to_peer`).
pub(crate) fn send_skb_to_peer(peer: &Peer, skb: SkBuff, ds: u8) -> Result {
    let len = skb.len();
    let wg = &*peer.device;
    let g = ReadGuard::new();
    let (Some(dev), Some(socks)) = (device(&wg.dev, &g), wg.sockets.get(&g)) else {
        return Err(ENONET);
    };
    let mut ep = peer.endpoint.lock();
    let EndpointState {
        addr,
        source,
        cache,
    } = &mut *ep;
    let addr = *addr;
    send(wg, dev, socks, skb, &addr, source, ds, Some(cache))?;
    drop(ep);
    peer.count_tx(len);
    Ok(())
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
    send(wg, dev, socks, skb, &addr, &mut source, 0, None)
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
    ep.addr = *addr;
    ep.source = *source;
    ep.cache.reset();
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

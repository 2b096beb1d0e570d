// SPDX-License-Identifier: GPL-2.0

//! Letting Linux routing choose the peer (beyond the C driver; see
//! `Documentation/routing.md`): the two per-device settings and what they
//! decide on the packet path.
//!
//! - [`PeerSelect`]: on transmit, the peer is the AllowedIPs match of the
//!   packet's destination (the C driver), or of the gateway of the
//!   packet's route through this device.
//! - [`SourceCheck`]: on receive, an inner source is accepted when
//!   AllowedIPs maps it to the sending peer (the C driver), always, or
//!   when the route back to it leaves through this device towards that
//!   peer.
//!
//! Both are atomics read once per packet, without a lock; both are set
//! under the device's update lock, through the `wireguard-rs` generic
//! netlink family (`routing_netlink.rs`).

use crate::allowedips::AllowedIps;
use crate::kapi::netdev::NetDevice;
use crate::kapi::rcu::ReadGuard;
use crate::kapi::route::Gateway;
use crate::kapi::skb::{
    SkBuff,
    ETH_P_IP, //
};
use crate::peer::Peer;

/// How the peer of an outgoing packet is chosen (values as in the
/// `peer-select` enum of `Documentation/netlink/specs/wireguard-rs.yaml`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum PeerSelect {
    /// The AllowedIPs match of the destination (the C driver).
    AllowedIps = 0,
    /// The AllowedIPs match of the route's gateway, when the packet's route
    /// through this device has one; else of the destination.
    RouteGateway = 1,
}

impl PeerSelect {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::AllowedIps),
            1 => Some(Self::RouteGateway),
            _ => None,
        }
    }
}

/// Which inner sources are accepted from a peer (values as in the
/// `source-check` enum of the spec).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum SourceCheck {
    /// AllowedIPs must map the source to the sending peer (the C driver).
    AllowedIps = 0,
    /// Any source of an authenticated peer (filtering is left to
    /// `rp_filter` and the firewall).
    Off = 1,
    /// The route back to the source must leave through this device via a
    /// gateway AllowedIPs maps to the sending peer, or on-link with the
    /// source itself mapped to it.
    Route = 2,
}

impl SourceCheck {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::AllowedIps),
            1 => Some(Self::Off),
            2 => Some(Self::Route),
            _ => None,
        }
    }
}

/// An address of either family, as the trie looks it up.
#[derive(Clone, Copy)]
pub(crate) enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

fn lookup<'g>(table: &'g AllowedIps<Peer>, g: &'g ReadGuard, a: Addr) -> Option<&'g Peer> {
    match a {
        Addr::V4(a) => table.lookup_v4(g, a),
        Addr::V6(a) => table.lookup_v6(g, a),
    }
}

fn gateway_addr(gw: Gateway) -> Option<Addr> {
    match gw {
        Gateway::OnLink => None,
        Gateway::V4(a) => Some(Addr::V4(a)),
        Gateway::V6(a) => Some(Addr::V6(a)),
    }
}

/// The peer an outgoing packet to `dst` goes to. With
/// [`PeerSelect::RouteGateway`] and a trusted route through `dev` that has a
/// gateway, the gateway decides; a gateway that is no peer's means no peer
/// (the packet is not sent to whoever holds the destination instead).
pub(crate) fn select_peer<'g>(
    mode: PeerSelect,
    table: &'g AllowedIps<Peer>,
    g: &'g ReadGuard,
    dev: &NetDevice,
    skb: &SkBuff,
    dst: Addr,
) -> Option<&'g Peer> {
    if mode == PeerSelect::RouteGateway {
        if let Some(gw) = skb.route_gateway(dev).and_then(gateway_addr) {
            return lookup(table, g, gw);
        }
    }
    lookup(table, g, dst)
}

/// Whether `peer` may send the received inner packet at the start of
/// `skb` (its protocol set) whose source is `src`, by `mode`.
pub(crate) fn source_allowed(
    mode: SourceCheck,
    table: &AllowedIps<Peer>,
    g: &ReadGuard,
    dev: &NetDevice,
    skb: &mut SkBuff,
    src: Addr,
    peer: &Peer,
) -> bool {
    let is_peer = |p: Option<&Peer>| p.is_some_and(|p| core::ptr::eq(p, peer));
    match mode {
        SourceCheck::AllowedIps => is_peer(lookup(table, g, src)),
        SourceCheck::Off => true,
        SourceCheck::Route => skb.route_back_any(dev, |gw| match gateway_addr(gw) {
            Some(a) => is_peer(lookup(table, g, a)),
            None => is_peer(lookup(table, g, src)),
        }),
    }
}

/// The source address of the inner packet at the start of `skb`.
pub(crate) fn inner_source(skb: &SkBuff, proto: u16) -> Option<Addr> {
    let h = skb.head();
    if proto == ETH_P_IP {
        Some(Addr::V4(h.get(12..16)?.try_into().ok()?))
    } else {
        Some(Addr::V6(h.get(8..24)?.try_into().ok()?))
    }
}

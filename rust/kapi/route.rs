// SPDX-License-Identifier: GPL-2.0

//! Routing questions about packets (`shims/route.c`): the gateway of an
//! outgoing packet's route through our device, the route back to a
//! received packet's source, and repairing the protocol of an L3 packet
//! that arrived with the wrong one. The routing tables are only read.

use super::bindings as b;
use super::netdev::NetDevice;
use super::skb::SkBuff;

/// Where a route through our device sends a packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Gateway {
    /// Directly to its destination (no gateway).
    OnLink,
    /// Via an IPv4 gateway.
    V4([u8; 4]),
    /// Via an IPv6 gateway (also for IPv4 routes: RFC 5549).
    V6([u8; 16]),
}

impl Gateway {
    fn from_raw(gw: &b::wgrs_gateway) -> Option<Self> {
        match gw.kind {
            b::WGRS_GW_ONLINK => Some(Self::OnLink),
            b::WGRS_GW_V4 => {
                let mut a = [0u8; 4];
                a.copy_from_slice(&gw.addr[..4]);
                Some(Self::V4(a))
            }
            b::WGRS_GW_V6 => Some(Self::V6(gw.addr)),
            _ => None,
        }
    }
}

/// How many paths of a multipath route back are looked at.
pub(crate) const MAX_ROUTE_BACK_PATHS: usize = 16;

impl SkBuff {
    /// The gateway of the route attached to this outgoing packet, if that
    /// route is a valid one through `dev` of the packet's own family;
    /// `None` when no route can be trusted (none attached, as for AF_PACKET
    /// sends and eBPF redirects, or another device's or family's).
    pub(crate) fn route_gateway(&self, dev: &NetDevice) -> Option<Gateway> {
        let mut gw = b::wgrs_gateway::default();
        // SAFETY: the skb and the device are valid; the shim only reads the
        // skb's route and writes `gw`.
        unsafe { b::wgrs_skb_route_gateway(self.as_raw(), dev.as_raw(), &mut gw) };
        Gateway::from_raw(&gw)
    }

    /// The paths through `dev` of the route back to this received packet's
    /// source (the inner packet at the start of the data, its protocol set),
    /// as a reply from this host would be routed, policy rules included;
    /// each path given to `f`. Returns whether `f` accepted one.
    pub(crate) fn route_back_any(&mut self, dev: &NetDevice, f: impl FnMut(Gateway) -> bool) -> bool {
        let mut gws = [b::wgrs_gateway::default(); MAX_ROUTE_BACK_PATHS];
        // SAFETY: the skb is ours and the device valid; the shim may pull
        // the IP header into the linear area and writes at most `max`
        // entries of `gws`.
        let n = unsafe {
            b::wgrs_skb_route_back(
                self.as_raw(),
                dev.as_raw(),
                gws.as_mut_ptr(),
                MAX_ROUTE_BACK_PATHS as i32,
            )
        };
        let n = usize::try_from(n).unwrap_or(0).min(MAX_ROUTE_BACK_PATHS);
        gws[..n].iter().filter_map(Gateway::from_raw).any(f)
    }

    /// For an outgoing packet whose `skb->protocol` does not match its IP
    /// header: takes the protocol from the IPv4 or IPv6 header at the start
    /// of the data (an L3 device has no link header) and resets the network
    /// header there. False, and nothing changed, if no whole IP header is
    /// there.
    pub(crate) fn fix_l3_protocol(&mut self) -> bool {
        // SAFETY: the skb is ours; the shim may pull the header into the
        // linear area and sets the header offset and protocol.
        unsafe { b::wgrs_skb_fix_l3_protocol(self.as_raw()) }
    }
}

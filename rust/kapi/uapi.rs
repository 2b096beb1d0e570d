// SPDX-License-Identifier: GPL-2.0

//! The WireGuard generic netlink UAPI (`include/uapi/linux/wireguard.h`):
//! the family's name and version, commands, attributes and flags, as the
//! kernel headers define them (through our bindgen run), for the driver's
//! netlink handlers.

pub(crate) use super::bindings::{
    WGALLOWEDIP_A_CIDR_MASK,
    WGALLOWEDIP_A_FAMILY,
    WGALLOWEDIP_A_FLAGS,
    WGALLOWEDIP_A_IPADDR,
    WGALLOWEDIP_F_REMOVE_ME,
    WGDEVICE_A_FLAGS,
    WGDEVICE_A_FWMARK,
    WGDEVICE_A_IFINDEX,
    WGDEVICE_A_IFNAME,
    WGDEVICE_A_LISTEN_PORT,
    WGDEVICE_A_PEERS,
    WGDEVICE_A_PRIVATE_KEY,
    WGDEVICE_A_PUBLIC_KEY,
    WGDEVICE_F_REPLACE_PEERS,
    WGPEER_A_ALLOWEDIPS,
    WGPEER_A_ENDPOINT,
    WGPEER_A_FLAGS,
    WGPEER_A_LAST_HANDSHAKE_TIME,
    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
    WGPEER_A_PRESHARED_KEY,
    WGPEER_A_PROTOCOL_VERSION,
    WGPEER_A_PUBLIC_KEY,
    WGPEER_A_RX_BYTES,
    WGPEER_A_TX_BYTES,
    WGPEER_A_UNSPEC,
    WGPEER_F_REMOVE_ME,
    WGPEER_F_REPLACE_ALLOWEDIPS,
    WGPEER_F_UPDATE_ONLY,
    WG_CMD_GET_DEVICE,
    WG_GENL_VERSION, //
};

/// The family's name (`WG_GENL_NAME`).
pub(crate) const WG_GENL_NAME: &core::ffi::CStr = c"wireguard";

/// Our own family `wireguard-rs` (`Documentation/netlink/specs/wireguard-rs.yaml`,
/// through the uapi header generated from it): attributes and commands.
pub(crate) use super::bindings::{
    WIREGUARD_RS_A_DEVICE_IFINDEX,
    WIREGUARD_RS_A_DEVICE_IFNAME,
    WIREGUARD_RS_A_DEVICE_PEER_SELECT,
    WIREGUARD_RS_A_DEVICE_SOURCE_CHECK,
    WIREGUARD_RS_CMD_GET_DEVICE, //
};

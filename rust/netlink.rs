// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `wireguard` (the C driver's `netlink.c`):
//! what `wg(8)` and every other WireGuard tool talks to. Policies and the ops
//! table are generated from the kernel's spec; this file holds the handlers.

use crate::device::Device;
use crate::kapi::bindings::{
    WGDEVICE_A_FLAGS,
    WGDEVICE_A_FWMARK,
    WGDEVICE_A_IFINDEX,
    WGDEVICE_A_IFNAME,
    WGDEVICE_A_LISTEN_PORT,
    WGDEVICE_A_PEERS,
    WGDEVICE_A_PRIVATE_KEY,
    WGDEVICE_A_PUBLIC_KEY,
    WGDEVICE_F_REPLACE_PEERS,
    WG_CMD_GET_DEVICE, //
};
use crate::kapi::crypto::constant_time_eq;
use crate::kapi::genl::{
    Attrs,
    Dump,
    Family,
    MsgBuf, //
    Request,
};
use crate::kapi::netdev::{
    Net,
    NetDeviceRef,
    RtnlGuard, //
};
use crate::messages::NOISE_PUBLIC_KEY_LEN;
use kernel::prelude::*;

/// The family, registered by `main.rs`.
pub(crate) static FAMILY: Family = Family::new();

/// Name and version of the family, as in `include/uapi/linux/wireguard.h`.
pub(crate) const FAMILY_NAME: &core::ffi::CStr = c"wireguard";
pub(crate) const FAMILY_VERSION: u32 = crate::kapi::bindings::WG_GENL_VERSION;

/// Finds the device a request names, by index or by name (exactly one of
/// the two), in the requester's namespace; only devices of ours qualify.
fn lookup_interface(attrs: &Attrs<'_>, net: &Net) -> Result<NetDeviceRef> {
    let dev = match (attrs.u32(WGDEVICE_A_IFINDEX), attrs.str(WGDEVICE_A_IFNAME)) {
        (Some(index), None) => NetDeviceRef::get_by_index(net, index as i32),
        (None, Some(name)) => NetDeviceRef::get_by_name(net, name),
        _ => return Err(EBADR),
    };
    let dev = dev.ok_or(ENODEV)?;
    if dev.driver_data::<Device>().is_none() {
        return Err(EOPNOTSUPP);
    }
    Ok(dev)
}

pub(crate) fn get_device_start(dump: &mut Dump<'_>) -> Result {
    let attrs = dump.attrs(WGDEVICE_A_IFNAME);
    let net = dump.net();
    let dev = lookup_interface(&attrs, net)?;
    dump.set_device(dev);
    Ok(())
}

pub(crate) fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32> {
    // RTNL keeps the name stable while we copy it, as in the C driver; the
    // update lock keeps the configuration consistent within this part.
    let _rtnl = RtnlGuard::lock();
    let dev = dump.device().ok_or(ENODEV)?;
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let cfg = wg.config();
    dump.set_seq(cfg.update_gen);

    let hdr = msg.put_dump_header(dump, &FAMILY, WG_CMD_GET_DEVICE as u8)?;
    let filled = (|| -> Result {
        msg.put_u16(WGDEVICE_A_LISTEN_PORT, cfg.listen_port)?;
        msg.put_u32(WGDEVICE_A_FWMARK, cfg.fwmark)?;
        msg.put_u32(WGDEVICE_A_IFINDEX, dev.ifindex() as u32)?;
        msg.put_str(WGDEVICE_A_IFNAME, dev.name())?;
        // Only callers with CAP_NET_ADMIN get here (the op's flags), as in
        // the C driver, which dumps the private key the same way.
        if cfg.identity.has_identity() {
            msg.put(WGDEVICE_A_PRIVATE_KEY, cfg.identity.private_key())?;
            msg.put(WGDEVICE_A_PUBLIC_KEY, cfg.identity.public_key())?;
        }
        // No peers yet: like the C driver, an empty peer list leaves no
        // WGDEVICE_A_PEERS attribute behind.
        let peers = msg.nest_start(WGDEVICE_A_PEERS)?;
        msg.nest_cancel(peers);
        Ok(())
    })();
    if let Err(e) = filled {
        msg.cancel(hdr);
        return Err(e);
    }
    msg.end(hdr);
    // Everything fitted: returning 0 ends the dump after this part.
    Ok(0)
}

pub(crate) fn get_device_done(dump: &mut Dump<'_>) {
    drop(dump.take_device());
}

pub(crate) fn set_device(req: &mut Request<'_>) -> Result {
    let attrs = req.attrs(WGDEVICE_A_PEERS);
    let ret = apply_device(req, &attrs);
    // The private key is not left lying in the request, as in the C driver.
    attrs.zero(WGDEVICE_A_PRIVATE_KEY);
    ret
}

/// Applies a `WG_CMD_SET_DEVICE` in the C driver's order. What this module
/// cannot do yet (peers; a listen port, which needs sockets) is refused
/// before anything is applied.
fn apply_device(req: &Request<'_>, attrs: &Attrs<'_>) -> Result {
    let dev = lookup_interface(attrs, req.net())?;
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let _rtnl = RtnlGuard::lock();
    let mut cfg = wg.config();

    if attrs.has(WGDEVICE_A_PEERS) {
        req.set_err_msg(c"wireguard-rs: peers are not supported yet");
        return Err(EOPNOTSUPP);
    }
    if attrs
        .u16(WGDEVICE_A_LISTEN_PORT)
        .is_some_and(|p| p != cfg.listen_port)
    {
        req.set_err_msg(c"wireguard-rs: listening sockets are not supported yet");
        return Err(EOPNOTSUPP);
    }

    cfg.update_gen = cfg.update_gen.wrapping_add(1);
    if let Some(fwmark) = attrs.u32(WGDEVICE_A_FWMARK) {
        cfg.fwmark = fwmark;
    }
    // WGDEVICE_F_REPLACE_PEERS would remove every peer here; there are none.
    let _replace_peers = attrs
        .u32(WGDEVICE_A_FLAGS)
        .is_some_and(|f| f & WGDEVICE_F_REPLACE_PEERS != 0);
    if let Some(key) = attrs.bytes(WGDEVICE_A_PRIVATE_KEY) {
        if let Ok(key) = <&[u8; NOISE_PUBLIC_KEY_LEN]>::try_from(key) {
            // Setting the key we have changes nothing (C: skip_set_private_key).
            if !constant_time_eq(cfg.identity.private_key(), key) {
                // An all-zero key leaves the device without identity.
                cfg.identity.set_private_key(key);
            }
        }
    }
    Ok(())
}

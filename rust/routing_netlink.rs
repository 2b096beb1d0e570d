// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `wireguard-rs`: the routing settings of our
//! devices (`routing.rs`), which the `wireguard` family, kept exactly
//! upstream's, has no room for. Ops, policies and the family itself are
//! generated from `Documentation/netlink/specs/wireguard-rs.yaml`; this file
//! holds the handlers. The spec's enums are the `u8` values of
//! [`PeerSelect`] and [`SourceCheck`], and the policy refuses any other
//! value before a handler runs.

use crate::device::Device;
use crate::kapi::genl::{
    routing_genl_entry_points,
    AttrGet,
    Attrs,
    Dump,
    MsgBuf,
    Request,
    RoutingFamily,
    RoutingOps, //
};
use crate::kapi::netdev::{
    Net,
    NetDeviceRef, //
};
use crate::kapi::uapi::{
    WIREGUARD_RS_A_DEVICE_IFINDEX,
    WIREGUARD_RS_A_DEVICE_IFNAME,
    WIREGUARD_RS_A_DEVICE_PEER_SELECT,
    WIREGUARD_RS_A_DEVICE_SOURCE_CHECK,
    WIREGUARD_RS_CMD_GET_DEVICE, //
};
use crate::routing::{
    PeerSelect,
    SourceCheck, //
};
use kernel::ffi::c_long;
use kernel::prelude::*;

/// The family `wireguard-rs`, registered by `main.rs`.
pub(crate) static ROUTING_FAMILY: RoutingFamily = RoutingFamily;

/// The handlers of the family's operations.
pub(crate) struct RoutingNetlink;

impl RoutingOps for RoutingNetlink {
    fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32> {
        get_device_dump(dump, msg)
    }

    fn set_device(req: &mut Request<'_>) -> Result {
        set_device(req)
    }
}

routing_genl_entry_points!(RoutingNetlink);

/// Why a request names no device of ours.
enum LookupError {
    /// Neither or both of ifindex and ifname.
    NotOne,
    /// No device by that index or name.
    NoDevice,
    /// A device that is not a wireguard-rs device.
    NotOurs,
}

impl LookupError {
    fn errno(&self) -> Error {
        match self {
            Self::NotOne => EINVAL,
            Self::NoDevice => ENODEV,
            Self::NotOurs => EOPNOTSUPP,
        }
    }

    fn message(&self) -> &'static CStr {
        match self {
            Self::NotOne => c"give exactly one of ifindex and ifname",
            Self::NoDevice => c"no such device",
            Self::NotOurs => c"not a wireguard-rs device",
        }
    }
}

/// Whether a request names a device (then it must name exactly one).
fn names_device(attrs: &Attrs<'_>) -> bool {
    attrs.has(WIREGUARD_RS_A_DEVICE_IFINDEX) || attrs.has(WIREGUARD_RS_A_DEVICE_IFNAME)
}

/// The device of ours a request names, in the requester's namespace.
fn lookup(attrs: &Attrs<'_>, net: &Net) -> core::result::Result<NetDeviceRef, LookupError> {
    let dev = match (
        attrs.u32(WIREGUARD_RS_A_DEVICE_IFINDEX),
        attrs.str(WIREGUARD_RS_A_DEVICE_IFNAME),
    ) {
        (Some(index), None) => {
            i32::try_from(index).ok().and_then(|i| NetDeviceRef::get_by_index(net, i))
        }
        (None, Some(name)) => NetDeviceRef::get_by_name(net, name),
        _ => return Err(LookupError::NotOne),
    };
    let dev = dev.ok_or(LookupError::NoDevice)?;
    if dev.driver_data::<Device>().is_none() {
        return Err(LookupError::NotOurs);
    }
    Ok(dev)
}

/// One device's message: its index, name and both settings.
fn put_device(msg: &mut MsgBuf<'_>, dump: &mut Dump<'_>, dev: &NetDeviceRef) -> Result {
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let hdr = msg.put_dump_header(dump, &ROUTING_FAMILY, WIREGUARD_RS_CMD_GET_DEVICE as u8)?;
    let put = (|| -> Result {
        let index = u32::try_from(dev.ifindex()).map_err(|_| EINVAL)?;
        msg.put_u32(WIREGUARD_RS_A_DEVICE_IFINDEX, index)?;
        msg.put_str(WIREGUARD_RS_A_DEVICE_IFNAME, dev.name())?;
        msg.put_u8(WIREGUARD_RS_A_DEVICE_PEER_SELECT, wg.peer_select() as u8)?;
        msg.put_u8(WIREGUARD_RS_A_DEVICE_SOURCE_CHECK, wg.source_check() as u8)
    })();
    match put {
        Ok(()) => {
            msg.end(hdr);
            Ok(())
        }
        Err(e) => {
            msg.cancel(hdr);
            Err(e)
        }
    }
}

/// `get-device`: the named device, or every device of ours in the
/// namespace in index order; `args[1]` holds the next index to look at
/// (a named device's dump is done once it is non-zero).
fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32> {
    let start = msg.len();
    let named = {
        let attrs = dump.attrs(WIREGUARD_RS_A_DEVICE_IFNAME);
        if names_device(&attrs) {
            Some(lookup(&attrs, dump.net()).map_err(|e| e.errno())?)
        } else {
            None
        }
    };
    if let Some(dev) = named {
        if dump.args()[1] != 0 {
            return Ok(0);
        }
        put_device(msg, dump, &dev)?;
        dump.args()[1] = 1;
        return Ok(i32::try_from(msg.len()).unwrap_or(i32::MAX));
    }
    let mut next = u64::try_from(dump.args()[1]).unwrap_or(0);
    loop {
        let Some(dev) = NetDeviceRef::get_next(dump.net(), &mut next) else {
            break;
        };
        if dev.driver_data::<Device>().is_some() {
            match put_device(msg, dump, &dev) {
                Ok(()) => {}
                // The part is full: this device starts the next one.
                Err(e) if e == EMSGSIZE && msg.len() > start => break,
                Err(e) => return Err(e),
            }
        }
        next += 1;
    }
    dump.args()[1] = c_long::try_from(next).unwrap_or(c_long::MAX);
    if msg.len() > start {
        Ok(i32::try_from(msg.len()).unwrap_or(i32::MAX))
    } else {
        Ok(0)
    }
}

/// `set-device`: every setting given, or none (the policy has checked the
/// values; the device must be ours).
fn set_device(req: &mut Request<'_>) -> Result {
    let attrs = req.attrs(WIREGUARD_RS_A_DEVICE_SOURCE_CHECK);
    let dev = match lookup(&attrs, req.net()) {
        Ok(dev) => dev,
        Err(e) => {
            req.set_err_msg(e.message());
            return Err(e.errno());
        }
    };
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let peer_select = match attrs.u8(WIREGUARD_RS_A_DEVICE_PEER_SELECT) {
        None => None,
        Some(v) => Some(PeerSelect::from_u8(v).ok_or_else(|| {
            req.set_err_msg(c"unknown peer-select mode");
            EINVAL
        })?),
    };
    let source_check = match attrs.u8(WIREGUARD_RS_A_DEVICE_SOURCE_CHECK) {
        None => None,
        Some(v) => Some(SourceCheck::from_u8(v).ok_or_else(|| {
            req.set_err_msg(c"unknown source-check mode");
            EINVAL
        })?),
    };
    let mut cfg = wg.config();
    if let Some(mode) = peer_select {
        wg.set_peer_select(&mut cfg, mode);
    }
    if let Some(mode) = source_check {
        wg.set_source_check(&mut cfg, mode);
    }
    Ok(())
}

// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `wireguard` (the C driver's `netlink.c`):
//! what `wg(8)` and every other WireGuard tool talks to. Policies and the ops
//! table are generated from the kernel's spec; this file holds the handlers.

use crate::allowedips::{
    Cursor,
    Prefix, //
};
use crate::device::{
    Config,
    Device,
    RemovedPeers, //
};
use crate::kapi::crypto::constant_time_eq;
use crate::kapi::genl::{
    wireguard_genl_entry_points,
    AttrGet,
    Attrs,
    Dump,
    Family,
    MsgBuf,
    Nested,
    Request,
    WireguardOps, //
};
use crate::kapi::netdev::{
    Net,
    NetDevice,
    NetDeviceRef,
    RtnlGuard, //
};
use crate::kapi::uapi::{
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
    WG_GENL_NAME,
    WG_GENL_VERSION, //
};
use crate::messages::{
    NOISE_PUBLIC_KEY_LEN,
    NOISE_SYMMETRIC_KEY_LEN, //
};
use crate::noise::StaticIdentity;
use crate::peer::{
    Endpoint,
    Peer, //
};
use crate::send::{
    send_keepalive,
    send_staged, //
};
use crate::socket::clear_endpoint_source;
use kernel::ffi::c_long;
use kernel::prelude::*;

/// The family `wireguard`, registered by `main.rs`.
pub(crate) static FAMILY: Family = Family::const_new(
    kernel::module::this_module::<crate::LocalModule>(),
    WG_GENL_NAME,
    WG_GENL_VERSION,
);

/// The handlers of the family's operations.
pub(crate) struct Netlink;

impl WireguardOps for Netlink {
    fn get_device_start(dump: &mut Dump<'_>) -> Result {
        get_device_start(dump)
    }

    fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32> {
        get_device_dump(dump, msg)
    }

    fn get_device_done(dump: &mut Dump<'_>) {
        drop(dump.take_device());
    }

    fn set_device(req: &mut Request<'_>) -> Result {
        set_device(req)
    }
}

wireguard_genl_entry_points!(Netlink);

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

fn get_device_start(dump: &mut Dump<'_>) -> Result {
    let attrs = dump.attrs(WGDEVICE_A_IFNAME);
    let net = dump.net();
    let dev = lookup_interface(&attrs, net)?;
    dump.set_device(dev);
    Ok(())
}

/// `AF_INET` and `AF_INET6`, as `WGALLOWEDIP_A_FAMILY` carries them.
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Where a multi-part dump stands, kept in `cb->args[1..6]` between parts
/// (`cb->args[0]` holds the device).
#[derive(Default)]
struct DumpState {
    /// Id of the last peer dumped whole; 0 before the first.
    last_peer: u64,
    /// The AllowedIPs change counter when the peer after `last_peer` was
    /// cut in the middle of its prefixes; 0 when no peer was cut.
    seq: u64,
    /// The last prefix of that peer that was dumped.
    cursor: Cursor,
}

impl DumpState {
    fn load(args: &[c_long; 6]) -> Self {
        let tag = args[3] as u64;
        let (lo, hi) = (args[4] as u64, args[5] as u64);
        let cidr = (tag >> 8) as u8;
        let cursor = match tag & 0xff {
            1 => Cursor::V4(lo as u32, cidr),
            2 => Cursor::V6((u128::from(hi) << 64) | u128::from(lo), cidr),
            3 => Cursor::Done,
            _ => Cursor::Start,
        };
        Self {
            last_peer: args[1] as u64,
            seq: args[2] as u64,
            cursor,
        }
    }

    fn store(&self, args: &mut [c_long; 6]) {
        let (tag, key) = match self.cursor {
            Cursor::Start => (0, 0),
            Cursor::V4(k, c) => (1 | (u64::from(c) << 8), u128::from(k)),
            Cursor::V6(k, c) => (2 | (u64::from(c) << 8), k),
            Cursor::Done => (3, 0),
        };
        args[1] = self.last_peer as c_long;
        args[2] = self.seq as c_long;
        args[3] = tag as c_long;
        args[4] = key as u64 as c_long;
        args[5] = (key >> 64) as u64 as c_long;
    }
}

/// Puts the device's own attributes (the first part of a dump).
fn put_device_attrs(msg: &mut MsgBuf<'_>, wg: &Device, cfg: &Config, dev: &NetDevice) -> Result {
    msg.put_u16(WGDEVICE_A_LISTEN_PORT, cfg.listen_port)?;
    msg.put_u32(WGDEVICE_A_FWMARK, wg.fwmark())?;
    msg.put_u32(WGDEVICE_A_IFINDEX, dev.ifindex() as u32)?;
    msg.put_str(WGDEVICE_A_IFNAME, dev.name())?;
    // Only callers with CAP_NET_ADMIN get here (the op's flags), as in
    // the C driver, which dumps the private key the same way.
    let keys = wg.keys.lock();
    if keys.identity.has_identity() {
        msg.put(WGDEVICE_A_PRIVATE_KEY, keys.identity.private_key())?;
        msg.put(WGDEVICE_A_PUBLIC_KEY, keys.identity.public_key())?;
    }
    Ok(())
}

/// Puts one prefix as a nest of its own inside `WGPEER_A_ALLOWEDIPS`.
fn put_allowedip(msg: &mut MsgBuf<'_>, prefix: Prefix) -> Result {
    let nest = msg.nest_start(0)?;
    let (family, addr, cidr): (u16, &[u8], u8) = match &prefix {
        Prefix::V4(a, c) => (AF_INET, &a[..], *c),
        Prefix::V6(a, c) => (AF_INET6, &a[..], *c),
    };
    let r = msg
        .put_u8(WGALLOWEDIP_A_CIDR_MASK, cidr)
        .and_then(|()| msg.put_u16(WGALLOWEDIP_A_FAMILY, family))
        .and_then(|()| msg.put(WGALLOWEDIP_A_IPADDR, addr));
    match r {
        Ok(()) => {
            msg.nest_end(nest);
            Ok(())
        }
        Err(e) => {
            msg.nest_cancel(nest);
            Err(e)
        }
    }
}

/// Puts the attributes of a peer that come before its prefixes.
fn put_peer_attrs(msg: &mut MsgBuf<'_>, peer: &Peer) -> Result {
    msg.put(WGPEER_A_PRESHARED_KEY, peer.preshared_key().bytes())?;
    let t = peer.last_handshake();
    let mut ts = [0u8; 16];
    ts[..8].copy_from_slice(&t.sec.to_ne_bytes());
    ts[8..].copy_from_slice(&t.nsec.to_ne_bytes());
    msg.put(WGPEER_A_LAST_HANDSHAKE_TIME, &ts)?;
    msg.put_u16(
        WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
        peer.persistent_keepalive_interval(),
    )?;
    let (rx, tx) = peer.traffic();
    msg.put_u64(WGPEER_A_TX_BYTES, tx, WGPEER_A_UNSPEC)?;
    msg.put_u64(WGPEER_A_RX_BYTES, rx, WGPEER_A_UNSPEC)?;
    msg.put_u32(WGPEER_A_PROTOCOL_VERSION, 1)?;
    if let Some(sa) = peer.endpoint().sockaddr() {
        msg.put(WGPEER_A_ENDPOINT, sa)?;
    }
    Ok(())
}

/// Puts one peer, or what is left of it after a cut. `Err` means the
/// message is full: if the peer got in partly (some prefixes), `st` says
/// where to go on; otherwise it was taken out again.
fn put_peer(msg: &mut MsgBuf<'_>, wg: &Device, peer: &Peer, st: &mut DumpState) -> Result {
    let nest = msg.nest_start(0)?;
    let resuming = st.seq != 0;
    let head = msg
        .put(WGPEER_A_PUBLIC_KEY, peer.public_key())
        .and_then(|()| {
            if resuming {
                Ok(())
            } else {
                put_peer_attrs(msg, peer)
            }
        });
    if let Err(e) = head {
        msg.nest_cancel(nest);
        return Err(e);
    }
    let table = wg.allowedips();
    let skip = if resuming {
        // The table changed since the cut: like the C driver, drop the rest
        // of this peer's prefixes; the generation check makes userspace
        // retry the whole dump.
        st.seq != table.seq()
    } else {
        st.cursor = Cursor::Start;
        st.seq = table.seq();
        !table.has_prefixes(peer)
    };
    if !skip {
        let ips = match msg.nest_start(WGPEER_A_ALLOWEDIPS) {
            Ok(n) => n,
            Err(e) => {
                msg.nest_cancel(nest);
                if !resuming {
                    st.seq = 0;
                }
                return Err(e);
            }
        };
        table.walk(peer, &mut st.cursor, |p| put_allowedip(msg, p).is_ok());
        msg.nest_end(ips);
        if st.cursor != Cursor::Done {
            msg.nest_end(nest);
            return Err(EMSGSIZE);
        }
    }
    msg.nest_end(nest);
    st.seq = 0;
    st.cursor = Cursor::Start;
    Ok(())
}

fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32> {
    // RTNL keeps the name stable while we copy it, as in the C driver; the
    // update lock keeps the configuration consistent within this part.
    let _rtnl = RtnlGuard::lock();
    let dev = dump.device().ok_or(ENODEV)?;
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let cfg = wg.config();
    dump.set_seq(cfg.update_gen);
    let mut st = DumpState::load(dump.args());

    let hdr = msg.put_dump_header(dump, &FAMILY, WG_CMD_GET_DEVICE as u8)?;
    let mut done = true;
    let filled = (|| -> Result {
        // The device's attributes go in every part until a peer was dumped
        // whole, as the C driver does.
        if st.last_peer == 0 {
            put_device_attrs(msg, wg, &cfg, dev)?;
        }
        let peers_nest = msg.nest_start(WGDEVICE_A_PEERS)?;
        let peers = cfg.peers();
        let start = if st.last_peer == 0 {
            Some(0)
        } else {
            // A peer removed since the last part ends the dump; the
            // generation check tells userspace to start again.
            peers
                .binary_search_by_key(&st.last_peer, |p| p.id())
                .ok()
                .map(|i| i + 1)
        };
        let Some(start) = start.filter(|_| !peers.is_empty()) else {
            msg.nest_cancel(peers_nest);
            return Ok(());
        };
        for p in peers.iter().skip(start) {
            if put_peer(msg, wg, p, &mut st).is_err() {
                done = false;
                break;
            }
            st.last_peer = p.id();
        }
        msg.nest_end(peers_nest);
        Ok(())
    })();
    if let Err(e) = filled {
        msg.cancel(hdr);
        return Err(e);
    }
    msg.end(hdr);
    if done {
        st = DumpState::default();
        st.store(dump.args());
        return Ok(0);
    }
    st.store(dump.args());
    // More to come: the core calls us again with a fresh buffer.
    Ok(i32::try_from(msg.len()).unwrap_or(i32::MAX))
}

/// Peer flags this driver knows (`__WGPEER_F_ALL`).
const PEER_FLAGS: u32 = WGPEER_F_REMOVE_ME | WGPEER_F_REPLACE_ALLOWEDIPS | WGPEER_F_UPDATE_ONLY;

fn set_device(req: &mut Request<'_>) -> Result {
    let attrs = req.attrs(WGDEVICE_A_PEERS);
    let ret = apply_device(req, &attrs);
    // Keys are not left lying in the request, as in the C driver.
    attrs.zero(WGDEVICE_A_PRIVATE_KEY);
    attrs.zero_nested(WGDEVICE_A_PEERS, WGPEER_A_PRESHARED_KEY);
    ret
}

/// A prefix as a request gives it.
enum AllowedIp<'a> {
    V4(&'a [u8; 4], u8),
    V6(&'a [u8; 16], u8),
}

/// Reads one `WGALLOWEDIP` nest; `EINVAL` for what the C driver refuses.
fn parse_allowedip<'a>(a: &Nested<'a>) -> Result<(AllowedIp<'a>, bool)> {
    let (Some(family), Some(addr), Some(cidr)) = (
        a.u16(WGALLOWEDIP_A_FAMILY),
        a.bytes(WGALLOWEDIP_A_IPADDR),
        a.u8(WGALLOWEDIP_A_CIDR_MASK),
    ) else {
        return Err(EINVAL);
    };
    let remove = a
        .u32(WGALLOWEDIP_A_FLAGS)
        .is_some_and(|f| f & WGALLOWEDIP_F_REMOVE_ME != 0);
    let ip = match (
        family,
        <&[u8; 4]>::try_from(addr),
        <&[u8; 16]>::try_from(addr),
    ) {
        (AF_INET, Ok(a), _) if cidr <= 32 => AllowedIp::V4(a, cidr),
        (AF_INET6, _, Ok(a)) if cidr <= 128 => AllowedIp::V6(a, cidr),
        _ => return Err(EINVAL),
    };
    Ok((ip, remove))
}

/// What a `WGPEER` nest asks for, read and checked before anything is
/// applied.
struct PeerRequest<'a> {
    public_key: &'a [u8; NOISE_PUBLIC_KEY_LEN],
    flags: u32,
    attrs: Nested<'a>,
}

/// Reads a peer's public key and flags, refusing what the C driver's
/// `set_peer` refuses before it looks at anything else.
fn read_peer<'a>(req: &Request<'_>, p: Nested<'a>) -> Result<PeerRequest<'a>> {
    let Some(public_key) = p.array::<NOISE_PUBLIC_KEY_LEN>(WGPEER_A_PUBLIC_KEY) else {
        req.set_err_msg(c"wireguard-rs: a peer needs a public key");
        return Err(EINVAL);
    };
    let flags = p.u32(WGPEER_A_FLAGS).unwrap_or(0);
    if flags & !PEER_FLAGS != 0 {
        return Err(EOPNOTSUPP);
    }
    if p.u32(WGPEER_A_PROTOCOL_VERSION).is_some_and(|v| v != 1) {
        return Err(EPFNOSUPPORT);
    }
    Ok(PeerRequest {
        public_key,
        flags,
        attrs: p,
    })
}

/// Checks one peer the way the C driver's `set_peer` does, returning the
/// same errors, but before the request changes anything. `earlier` are the
/// peers that come before it in the request.
fn check_peer<'a>(
    req: &Request<'_>,
    wg: &Device,
    p: Nested<'a>,
    mut earlier: impl Iterator<Item = Nested<'a>>,
) -> Result<PeerRequest<'a>> {
    let p = read_peer(req, p)?;
    // The C driver never reads the prefixes of a peer it removes, nor of
    // an absent peer with UPDATE_ONLY (it skips it). Absent means absent
    // when it is applied: not in the device, nor added by an earlier peer
    // of this request. (Earlier removals are not followed: checking the
    // prefixes of a peer that will be skipped only refuses a bad request.)
    let skipped = p.flags & WGPEER_F_REMOVE_ME != 0
        || (p.flags & WGPEER_F_UPDATE_ONLY != 0
            && wg.lookup_peer(p.public_key).is_none()
            && !earlier.any(|q| {
                q.array::<NOISE_PUBLIC_KEY_LEN>(WGPEER_A_PUBLIC_KEY) == Some(p.public_key)
                    && q.u32(WGPEER_A_FLAGS).unwrap_or(0) & WGPEER_F_REMOVE_ME == 0
            }));
    if !skipped {
        if let Some(ips) = p.attrs.nested(WGPEER_A_ALLOWEDIPS) {
            if ips.elements().any(|a| parse_allowedip(&a).is_err()) {
                req.set_err_msg(c"wireguard-rs: bad allowed IP (family, address length or cidr)");
                return Err(EINVAL);
            }
        }
    }
    Ok(p)
}

/// Applies a `WG_CMD_SET_DEVICE` in the C driver's order. Everything the C
/// driver would refuse is checked first, and a new port is bound first, so
/// a refused request changes nothing (the C driver applies what comes
/// before the bad part); only running out of memory can stop a request
/// half-way.
fn apply_device(req: &Request<'_>, attrs: &Attrs<'_>) -> Result {
    let dev = lookup_interface(attrs, req.net())?;
    let wg = dev.driver_data::<Device>().ok_or(ENODEV)?;
    let _rtnl = RtnlGuard::lock();
    let mut cfg = wg.config();

    let port = attrs.u16(WGDEVICE_A_LISTEN_PORT);
    // What lives in the creating namespace needs CAP_NET_ADMIN there.
    if (port.is_some() || attrs.has(WGDEVICE_A_FWMARK)) && !wg.may_configure_sockets() {
        return Err(EPERM);
    }
    // A new port on a running device: bind now, install below, so a port
    // in use (EADDRINUSE) refuses the request before anything changes.
    let sockets = match port {
        Some(p) if p != cfg.listen_port && dev.is_running() => Some(wg.bind(p)?),
        _ => None,
    };
    let private_key = attrs.array::<NOISE_PUBLIC_KEY_LEN>(WGDEVICE_A_PRIVATE_KEY);
    // Room for every peer this request may remove: one per REMOVE_ME, one
    // for a new private key that is a peer's public key. (A replace of
    // all peers hands over the device's list whole.)
    let mut removals = usize::from(private_key.is_some());
    if let Some(peers) = attrs.nested(WGDEVICE_A_PEERS) {
        for (i, p) in peers.elements().enumerate() {
            let p = check_peer(req, wg, p, peers.elements().take(i))?;
            if p.flags & WGPEER_F_REMOVE_ME != 0 {
                removals += 1;
            }
        }
    }
    let mut removed = RemovedPeers::with_capacity(removals)?;

    cfg.update_gen = cfg.update_gen.wrapping_add(1);
    if let Some(fwmark) = attrs.u32(WGDEVICE_A_FWMARK) {
        wg.set_fwmark(&mut cfg, fwmark);
    }
    if port.is_some_and(|p| p != cfg.listen_port) {
        // Replies now come from another port: sticky sources start over.
        for p in cfg.peers() {
            clear_endpoint_source(p);
        }
    }
    match (sockets, port) {
        (Some(sockets), _) => wg.install_sockets(&mut cfg, Some(sockets)),
        // A device that is down binds when it comes up.
        (None, Some(p)) if !dev.is_running() => cfg.listen_port = p,
        _ => {}
    }
    let replace_peers = attrs
        .u32(WGDEVICE_A_FLAGS)
        .is_some_and(|f| f & WGDEVICE_F_REPLACE_PEERS != 0);
    if replace_peers {
        wg.remove_all_peers(&mut cfg, &mut removed);
    }
    if let Some(key) = private_key {
        set_private_key(wg, &dev, &mut cfg, key, &mut removed);
    }
    if let Some(peers) = attrs.nested(WGDEVICE_A_PEERS) {
        // Checked above: read again, not checked again.
        for p in peers.elements() {
            let p = read_peer(req, p)?;
            set_peer(wg, &dev, &mut cfg, &p, &mut removed)?;
        }
    }
    Ok(())
}

/// Sets the device's private key; a peer with the matching public key is
/// removed, as in the C driver (a device is not its own peer).
fn set_private_key(
    wg: &Device,
    dev: &NetDevice,
    cfg: &mut Config,
    key: &[u8; NOISE_PUBLIC_KEY_LEN],
    removed: &mut RemovedPeers,
) {
    // Setting the key we have changes nothing (C: skip_set_private_key).
    if constant_time_eq(wg.keys.lock().identity.private_key(), key) {
        return;
    }
    let mut identity = StaticIdentity::new();
    // An all-zero key leaves the device without identity.
    identity.set_private_key(key);
    if identity.has_identity() {
        if let Some(p) = wg.lookup_peer(identity.public_key()) {
            wg.remove_peer(cfg, &p, removed);
        }
    }
    let mut keys = wg.keys.lock();
    let keys = &mut *keys;
    // A running device that gains an identity sends what waited for one.
    let send = !keys.identity.has_identity() && dev.is_running();
    keys.identity.set_private_key(key);
    let send = send && keys.identity.has_identity();
    keys.checker.precompute_device_keys(&keys.identity);
    // Sessions made with the old key end; handshakes and MACs use the new.
    for p in cfg.peers() {
        p.identity_changed(&keys.identity);
        p.expire_current_keypairs();
        if send {
            send_staged(p);
        }
    }
}

/// Applies one checked peer (the C driver's `set_peer`).
fn set_peer(
    wg: &Device,
    dev: &NetDevice,
    cfg: &mut Config,
    p: &PeerRequest<'_>,
    removed: &mut RemovedPeers,
) -> Result {
    let psk = p
        .attrs
        .array::<NOISE_SYMMETRIC_KEY_LEN>(WGPEER_A_PRESHARED_KEY);
    let mut flags = p.flags;
    let peer = match wg.lookup_peer(p.public_key) {
        Some(peer) => peer,
        None => {
            if flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY) != 0 {
                return Ok(());
            }
            // A new peer has no prefixes to replace.
            flags &= !WGPEER_F_REPLACE_ALLOWEDIPS;
            // A peer with our own public key is ignored without an error,
            // so the same configuration can be sent to every node.
            {
                let keys = wg.keys.lock();
                if keys.identity.has_identity()
                    && constant_time_eq(keys.identity.public_key(), p.public_key)
                {
                    return Ok(());
                }
            }
            wg.create_peer(cfg, dev, p.public_key, psk)?
        }
    };
    if flags & WGPEER_F_REMOVE_ME != 0 {
        wg.remove_peer(cfg, &peer, removed);
        return Ok(());
    }
    if let Some(psk) = psk {
        peer.set_preshared_key(psk);
    }
    if let Some(ep) = p
        .attrs
        .bytes(WGPEER_A_ENDPOINT)
        .and_then(Endpoint::from_sockaddr)
    {
        peer.set_endpoint(ep);
    }
    if let Some(ips) = p.attrs.nested(WGPEER_A_ALLOWEDIPS) {
        set_allowedips(wg, &peer, ips, flags & WGPEER_F_REPLACE_ALLOWEDIPS != 0)?;
    } else if flags & WGPEER_F_REPLACE_ALLOWEDIPS != 0 {
        wg.allowedips().remove_by_peer(&peer);
    }
    if let Some(secs) = p.attrs.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL) {
        let old = peer.set_persistent_keepalive_interval(secs);
        // Turning it on sends the first keepalive at once.
        if old == 0 && secs != 0 && dev.is_running() {
            send_keepalive(&peer);
        }
    }
    if dev.is_running() {
        send_staged(&peer);
    }
    Ok(())
}

/// Applies a peer's prefixes in message order. With `replace`, the peer
/// ends with exactly the inserted ones, and a prefix it keeps is never
/// missing in between (see `AllowedIps::replace_begin`).
fn set_allowedips(wg: &Device, peer: &Peer, ips: Nested<'_>, replace: bool) -> Result {
    let table = wg.allowedips();
    if replace {
        table.replace_begin(peer);
    }
    let mut result = Ok(());
    for a in ips.elements() {
        let r = match parse_allowedip(&a) {
            Ok((AllowedIp::V4(addr, cidr), false)) => table.insert_v4(*addr, cidr, peer),
            Ok((AllowedIp::V4(addr, cidr), true)) => table.remove_v4(*addr, cidr, peer),
            Ok((AllowedIp::V6(addr, cidr), false)) => table.insert_v6(*addr, cidr, peer),
            Ok((AllowedIp::V6(addr, cidr), true)) => table.remove_v6(*addr, cidr, peer),
            Err(e) => Err(e),
        };
        if r.is_err() {
            result = r;
            break;
        }
    }
    if replace {
        match result {
            Ok(()) => table.replace_commit(peer),
            Err(_) => table.replace_abort(peer),
        }
    }
    result
}

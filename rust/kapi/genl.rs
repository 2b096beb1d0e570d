// SPDX-License-Identifier: GPL-2.0

//! Generic netlink: the family, request attributes, dump state and message
//! building (`include/net/genetlink.h`, `include/net/netlink.h`).
//!
//! The ops table and attribute policies are C, generated at build time from
//! the kernel's `Documentation/netlink/specs/wireguard.yaml` (see `Kbuild`),
//! so validation is exactly the C driver's. The generated table calls four
//! `extern "C"` entry points, which [`wireguard_genl_entry_points!`] defines
//! for the driver's [`WireguardOps`] implementation, handing it safe
//! wrappers of the core's arguments.

use super::bindings as b;
use super::netdev::{
    Net,
    NetDevice,
    NetDeviceRef, //
};
use core::{
    ffi::CStr,
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_long, //
    },
    prelude::*,
    types::Opaque,
    ThisModule, //
};

/// A generic netlink family whose ops are the table generated from the
/// kernel's WireGuard spec, meant to live in a `static`.
///
/// # Invariants
///
/// The inner `genl_family` is fully set up at compile time by
/// [`Family::const_new`]; nothing in this crate writes it afterwards, so
/// the genetlink core is its only user once it is registered.
#[repr(transparent)]
pub(crate) struct Family(Opaque<b::genl_family>);

// SAFETY: the family is never written by us after construction (type
// invariant); the genetlink core does its own locking.
unsafe impl Sync for Family {}

/// The length of an array behind a pointer, without reading it (an extern
/// static may not be read in a constant).
const fn array_len<T, const N: usize>(_: *const [T; N]) -> usize {
    N
}

impl Family {
    /// The family `name` (at most `GENL_NAMSIZ` bytes with the NUL),
    /// version `version`, of `module`, serving the generated
    /// `wireguard_nl_ops` table in every network namespace. Evaluated at
    /// compile time: a name that does not fit fails the build.
    pub(crate) const fn const_new(module: &ThisModule, name: &CStr, version: u32) -> Self {
        let mut fam: b::genl_family = pin_init::zeroed();
        let name = name.to_bytes_with_nul();
        assert!(name.len() <= fam.name.len(), "genl family name too long");
        let mut i = 0;
        while i < name.len() {
            fam.name[i] = name[i];
            i += 1;
        }
        fam.version = version;
        fam.module = module.as_ptr().cast();
        let ops = &raw const b::wireguard_nl_ops;
        fam.split_ops = ops.cast();
        let n = array_len(ops);
        assert!(n <= u8::MAX as usize, "too many genl ops");
        fam.n_split_ops = n as u8;
        // `netnsok`: the first bit of the flags bitfield (checked by the
        // core's own layout; see `include/net/genetlink.h`).
        fam._bitfield_1 = b::__BindgenBitfieldUnit::new([1]);
        Self(Opaque::new(fam))
    }

    fn as_raw(&self) -> *mut b::genl_family {
        self.0.get()
    }

    /// Registers the family. A second registration of the same family (or
    /// another family of the same name) is refused by the core with
    /// `EEXIST` before it changes anything.
    pub(crate) fn register(&'static self) -> Result<FamilyRegistration> {
        // SAFETY: reading a field of a family nobody writes.
        if unsafe { (*self.as_raw()).netnsok() } != 1 {
            // The bitfield layout is not the one `const_new` assumed.
            return Err(EINVAL);
        }
        register(self)
    }
}

/// A generic netlink family: ours to register and to put in messages.
///
/// # Safety
///
/// `as_raw` must return the same fully initialised `genl_family`, valid for
/// the `'static` lifetime, that only the genetlink core writes once
/// registered.
pub(crate) unsafe trait GenlFamily: Sync {
    /// The family.
    fn as_raw(&self) -> *mut b::genl_family;
}

// SAFETY: the family is built whole at compile time and lives in a static
// (type invariant of `Family`; `register` takes `&'static self`).
unsafe impl GenlFamily for Family {
    fn as_raw(&self) -> *mut b::genl_family {
        Family::as_raw(self)
    }
}

/// The family `wireguard-rs` (our routing settings), defined whole in C by
/// the code generated from `Documentation/netlink/specs/wireguard-rs.yaml`
/// (`generated/wgrs_netlink.c`): name, version, `netnsok`, parallel ops,
/// the ops table and its policies.
pub(crate) struct RoutingFamily;

// SAFETY: the generated family is a C global of the module, complete at
// load time; only the genetlink core writes it (at registration).
unsafe impl GenlFamily for RoutingFamily {
    fn as_raw(&self) -> *mut b::genl_family {
        &raw mut b::wireguard_rs_nl_family
    }
}

impl RoutingFamily {
    /// Registers the family (`EEXIST` if a family of its name is there).
    pub(crate) fn register(&'static self) -> Result<FamilyRegistration> {
        register(self)
    }
}

fn register(family: &'static dyn GenlFamily) -> Result<FamilyRegistration> {
    // SAFETY: the family is fully initialised and static (`GenlFamily`'s
    // contract), so it outlives its registration.
    to_result(unsafe { b::genl_register_family(family.as_raw()) })?;
    // INVARIANT: registered just above.
    Ok(FamilyRegistration(family))
}

/// A registered family; unregisters it when dropped.
///
/// # Invariants
///
/// `0` is registered while this value exists.
pub(crate) struct FamilyRegistration(&'static dyn GenlFamily);

impl Drop for FamilyRegistration {
    fn drop(&mut self) {
        // SAFETY: the family is registered while this value exists (type
        // invariant), and this is the only unregistration.
        unsafe { b::genl_unregister_family(self.0.as_raw()) };
    }
}

/// Typed reads of attributes, shared by a request's top-level attributes
/// ([`Attrs`]) and nested ones ([`Nested`]). Sizes were checked by the
/// policy before any handler runs; a payload of the wrong size reads as
/// absent rather than panicking.
pub(crate) trait AttrGet<'a> {
    /// The payload of attribute `attr`, if present.
    fn bytes(&self, attr: u32) -> Option<&'a [u8]>;

    /// Whether attribute `attr` is present.
    fn has(&self, attr: u32) -> bool {
        self.bytes(attr).is_some()
    }

    /// A `u8` attribute.
    fn u8(&self, attr: u32) -> Option<u8> {
        self.bytes(attr)?.first().copied()
    }

    /// A `u16` attribute.
    fn u16(&self, attr: u32) -> Option<u16> {
        Some(u16::from_ne_bytes(
            self.bytes(attr)?.get(..2)?.try_into().ok()?,
        ))
    }

    /// A `u32` attribute.
    fn u32(&self, attr: u32) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.bytes(attr)?.get(..4)?.try_into().ok()?,
        ))
    }

    /// A fixed-size binary attribute of exactly `N` bytes.
    fn array<const N: usize>(&self, attr: u32) -> Option<&'a [u8; N]> {
        self.bytes(attr)?.try_into().ok()
    }

    /// A NUL-terminated string attribute (the policy has checked the NUL).
    fn str(&self, attr: u32) -> Option<&'a CStr> {
        CStr::from_bytes_until_nul(self.bytes(attr)?).ok()
    }

    /// A nested attribute, to read its own attributes from.
    fn nested(&self, attr: u32) -> Option<Nested<'a>> {
        self.bytes(attr).map(|data| Nested { data })
    }
}

/// Attributes of a request, as parsed and validated by the policy.
///
/// # Invariants
///
/// `attrs` is null or the core's parsed attribute array of `max + 1`
/// entries, each null or pointing to a validated attribute inside the
/// request message; array and message live for `'a`.
pub(crate) struct Attrs<'a> {
    attrs: *mut *mut b::nlattr,
    max: usize,
    _p: PhantomData<&'a b::nlattr>,
}

impl<'a> Attrs<'a> {
    fn get(&self, attr: u32) -> Option<&'a b::nlattr> {
        let i = attr as usize;
        if self.attrs.is_null() || i > self.max {
            return None;
        }
        // SAFETY: the core parsed into an array of `max + 1` entries, valid
        // for the request (`'a`); entries are null or point into the message.
        unsafe { (*self.attrs.add(i)).as_ref() }
    }

    /// Overwrites the payload of attribute `attr` in the request with zeros
    /// (for keys, once used).
    pub(crate) fn zero(&self, attr: u32) {
        if let Some(nla) = self.get(attr) {
            // The C driver zeroes keys in the request the same way; our callers
            // hold no `&[u8]` into the payload across this call.
            // SAFETY: the payload is `nla_len` writable bytes of the request.
            unsafe {
                let len = b::wgrs_nla_len(nla) as usize;
                let p = b::wgrs_nla_data(nla).cast::<u8>();
                super::crypto::memzero(core::slice::from_raw_parts_mut(p, len));
            }
        }
    }
}

impl Attrs<'_> {
    /// Zeroes attribute `inner` in every element of the nest array `outer`
    /// (the preshared keys of the peers), once the request was applied.
    pub(crate) fn zero_nested(&self, outer: u32, inner: u32) {
        let Some(nla) = self.get(outer) else {
            return;
        };
        // Our callers hold no `&[u8]` into the request across this call, so
        // the payload is only reached through raw pointers here.
        // SAFETY: the payload is `nla_len` writable bytes of the request;
        // every access below is bounds-checked against that length.
        unsafe {
            let len = b::wgrs_nla_len(nla) as usize;
            let base = b::wgrs_nla_data(nla).cast::<u8>();
            raw_walk(base, len, |_, elem, elem_len| {
                raw_walk(elem, elem_len, |kind, p, n| {
                    if u32::from(kind) == inner {
                        core::ptr::write_bytes(p, 0, n);
                    }
                });
            });
        }
    }
}

/// Calls `f(type, payload, payload_len)` for each attribute in the `len`
/// bytes at `base`, stopping at the first header that does not fit.
///
/// # Safety
///
/// `base` must be valid for reads and writes of `len` bytes, and `f` must
/// stay within the payload it is given.
unsafe fn raw_walk(base: *mut u8, len: usize, mut f: impl FnMut(u16, *mut u8, usize)) {
    let mut off = 0;
    while off + NLA_HDRLEN <= len {
        // SAFETY: the header is within the `len` bytes (checked above).
        let (alen, kind) = unsafe {
            let h = base.add(off);
            (
                usize::from(u16::from_ne_bytes([*h, *h.add(1)])),
                u16::from_ne_bytes([*h.add(2), *h.add(3)]) & NLA_TYPE_MASK,
            )
        };
        if alen < NLA_HDRLEN || alen > len - off {
            return;
        }
        // SAFETY: the payload lies within the `len` bytes (checked above).
        f(
            kind,
            unsafe { base.add(off + NLA_HDRLEN) },
            alen - NLA_HDRLEN,
        );
        off += alen.next_multiple_of(4);
    }
}

impl<'a> AttrGet<'a> for Attrs<'a> {
    fn bytes(&self, attr: u32) -> Option<&'a [u8]> {
        let nla = self.get(attr)?;
        // SAFETY: `nla` is a validated attribute; its payload is `nla_len`
        // bytes long inside the request message.
        unsafe {
            let len = b::wgrs_nla_len(nla) as usize;
            Some(core::slice::from_raw_parts(
                b::wgrs_nla_data(nla).cast::<u8>(),
                len,
            ))
        }
    }
}

/// Size of an attribute header (`NLA_HDRLEN`).
const NLA_HDRLEN: usize = 4;
/// Attribute type bits, without the nested and byte-order flags.
const NLA_TYPE_MASK: u16 = !((1 << 15) | (1 << 14));

/// The attributes inside a nested attribute, read straight from its
/// payload. The policy validated the nest before the handler ran; this
/// reader is still bounds-checked everywhere and stops at the first header
/// that does not fit, as `nla_for_each_attr` does.
#[derive(Clone, Copy)]
pub(crate) struct Nested<'a> {
    data: &'a [u8],
}

impl<'a> Nested<'a> {
    /// The attributes in the nest, in message order, as (type, payload).
    pub(crate) fn iter(&self) -> NestedIter<'a> {
        NestedIter { rest: self.data }
    }

    /// The nest's attributes, each read as a nest itself (for arrays of
    /// nests such as the peers and their allowed IPs).
    pub(crate) fn elements(&self) -> impl Iterator<Item = Nested<'a>> {
        self.iter().map(|(_, data)| Nested { data })
    }
}

impl<'a> AttrGet<'a> for Nested<'a> {
    fn bytes(&self, attr: u32) -> Option<&'a [u8]> {
        // As `nla_parse`: a later duplicate wins.
        self.iter()
            .filter(|(t, _)| u32::from(*t) == attr)
            .last()
            .map(|(_, d)| d)
    }
}

/// Iterator over the attributes of a [`Nested`].
pub(crate) struct NestedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NestedIter<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let hdr = self.rest.get(..NLA_HDRLEN)?;
        let len = usize::from(u16::from_ne_bytes([hdr[0], hdr[1]]));
        let kind = u16::from_ne_bytes([hdr[2], hdr[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        let aligned = len.next_multiple_of(4).min(self.rest.len());
        self.rest = &self.rest[aligned..];
        Some((kind, payload))
    }
}

/// A dump in progress (`struct netlink_callback`).
///
/// # Invariants
///
/// Wraps the callback of a genetlink dump of one of our families, with
/// its request parsed by the op's policy; `args[0]` is zero or holds a
/// device reference given up by [`NetDeviceRef::into_raw`].
pub(crate) struct Dump<'a>(&'a mut b::netlink_callback);

impl<'a> Dump<'a> {
    /// The request's attributes, parsed with the op's policy.
    pub(crate) fn attrs(&self, max: u32) -> Attrs<'_> {
        Attrs {
            // SAFETY: the callback is a genetlink dump with a parsed policy;
            // the shim only reads it.
            attrs: unsafe { b::wgrs_genl_dump_attrs(core::ptr::from_ref(&*self.0).cast_mut()) },
            max: max as usize,
            _p: PhantomData,
        }
    }

    /// The network namespace of the socket that asked for the dump.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: the request skb belongs to a live netlink socket.
        unsafe { Net::from_raw(b::wgrs_sock_net_of_skb(self.0.skb)) }
    }

    /// The dump's private state words (`cb->args`), zero on the first call.
    pub(crate) fn args(&mut self) -> &mut [c_long; 6] {
        // SAFETY: `args` is one view of the callback's private context union,
        // which the core zeroes before `start` and then leaves to us.
        unsafe { &mut self.0.__bindgen_anon_1.args }
    }

    /// Keeps a device reference in the dump state (`cb->args[0]`) until
    /// [`Dump::take_device`] gives it back in the `done` callback.
    pub(crate) fn set_device(&mut self, dev: NetDeviceRef) {
        self.args()[0] = dev.into_raw() as usize as c_long;
    }

    /// The device kept by [`Dump::set_device`].
    pub(crate) fn device(&self) -> Option<&'a NetDevice> {
        // SAFETY: reading the state word we own; see `args`.
        let p = unsafe { self.0.__bindgen_anon_1.args[0] } as usize as *mut b::net_device;
        if p.is_null() {
            return None;
        }
        // SAFETY: the word holds a device reference that stays held until
        // `done`, which cannot run while a dump part (lifetime `'a`) runs.
        Some(unsafe { NetDevice::from_raw(p) })
    }

    /// Takes back the device reference kept by [`Dump::set_device`].
    pub(crate) fn take_device(&mut self) -> Option<NetDeviceRef> {
        let p = core::mem::replace(&mut self.args()[0], 0) as usize as *mut b::net_device;
        // SAFETY: a non-zero word holds a reference from `into_raw`; zeroing
        // the word first makes sure it is taken back only once.
        NonNull::new(p).map(|p| unsafe { NetDeviceRef::from_raw(p) })
    }

    /// Sets the generation number checked by `genl_dump_check_consistent`.
    pub(crate) fn set_seq(&mut self, seq: u32) {
        self.0.seq = seq;
    }
}

/// An output message buffer of a dump.
///
/// # Invariants
///
/// `skb` is the netlink buffer the core handed to the current dump part,
/// valid and ours to append to for `'a`.
pub(crate) struct MsgBuf<'a> {
    skb: NonNull<b::sk_buff>,
    _p: PhantomData<&'a mut b::sk_buff>,
}

/// The header of a message being written into a [`MsgBuf`].
pub(crate) struct MsgHdr(NonNull<core::ffi::c_void>);

/// A nested attribute being written into a [`MsgBuf`].
pub(crate) struct Nest(NonNull<b::nlattr>);

impl MsgBuf<'_> {
    fn raw(&self) -> *mut b::sk_buff {
        self.skb.as_ptr()
    }

    /// Starts a multi-part dump message for `cmd` and marks it inconsistent
    /// if the generation changed since the previous part.
    pub(crate) fn put_dump_header(
        &mut self,
        dump: &mut Dump<'_>,
        family: &'static dyn GenlFamily,
        cmd: u8,
    ) -> Result<MsgHdr> {
        // SAFETY: skb, callback and family are valid; the family is registered
        // (a dump for it is running).
        let hdr = unsafe {
            b::genlmsg_put(
                self.raw(),
                b::wgrs_netlink_cb_portid(dump.0.skb),
                b::wgrs_nlmsg_seq(dump.0),
                family.as_raw(),
                b::WGRS_NLM_F_MULTI as c_int,
                cmd,
            )
        };
        let hdr = NonNull::new(hdr).ok_or(EMSGSIZE)?;
        // SAFETY: `hdr` was just put into this skb for this dump.
        unsafe { b::wgrs_genl_dump_check_consistent(dump.0, hdr.as_ptr()) };
        Ok(MsgHdr(hdr))
    }

    /// Finishes a message started with [`MsgBuf::put_dump_header`].
    pub(crate) fn end(&mut self, hdr: MsgHdr) {
        // SAFETY: `hdr` belongs to this skb.
        unsafe { kernel::bindings::genlmsg_end(self.raw().cast(), hdr.0.as_ptr()) }
    }

    /// Removes a message started with [`MsgBuf::put_dump_header`].
    pub(crate) fn cancel(&mut self, hdr: MsgHdr) {
        // SAFETY: `hdr` belongs to this skb.
        unsafe { kernel::bindings::genlmsg_cancel(self.raw().cast(), hdr.0.as_ptr()) }
    }

    /// Appends attribute `attr` with payload `data`.
    pub(crate) fn put(&mut self, attr: u32, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `data` is readable for `len` bytes; the skb is valid.
        to_result(unsafe { b::nla_put(self.raw(), attr as c_int, len, data.as_ptr().cast()) })
            .map_err(|_| EMSGSIZE)
    }

    /// Appends a `u8` attribute.
    pub(crate) fn put_u8(&mut self, attr: u32, v: u8) -> Result {
        self.put(attr, &[v])
    }

    /// Appends a `u16` attribute.
    pub(crate) fn put_u16(&mut self, attr: u32, v: u16) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }

    /// Appends a `u32` attribute.
    pub(crate) fn put_u32(&mut self, attr: u32, v: u32) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }

    /// Appends a `u64` attribute, aligned for 64-bit reads with padding
    /// attribute `pad` where needed (`nla_put_u64_64bit`).
    pub(crate) fn put_u64(&mut self, attr: u32, v: u64, pad: u32) -> Result {
        let bytes = v.to_ne_bytes();
        // SAFETY: `bytes` is readable for its length; the skb is valid.
        to_result(unsafe {
            b::nla_put_64bit(
                self.raw(),
                attr as c_int,
                bytes.len() as c_int,
                bytes.as_ptr().cast(),
                pad as c_int,
            )
        })
        .map_err(|_| EMSGSIZE)
    }

    /// Bytes written to the buffer so far (a dump part returns this when
    /// more parts follow).
    pub(crate) fn len(&self) -> usize {
        // SAFETY: the skb is valid.
        unsafe { b::wgrs_skb_len(self.raw()) as usize }
    }

    /// Appends a NUL-terminated string attribute.
    pub(crate) fn put_str(&mut self, attr: u32, s: &CStr) -> Result {
        self.put(attr, s.to_bytes_with_nul())
    }

    /// Opens a nested attribute.
    pub(crate) fn nest_start(&mut self, attr: u32) -> Result<Nest> {
        // SAFETY: the skb is valid.
        let n = unsafe { b::wgrs_nla_nest_start(self.raw(), attr as c_int) };
        NonNull::new(n).map(Nest).ok_or(EMSGSIZE)
    }

    /// Closes a nested attribute, fixing up its length.
    pub(crate) fn nest_end(&mut self, nest: Nest) {
        // SAFETY: `nest` was opened in this skb.
        unsafe { b::wgrs_nla_nest_end(self.raw(), nest.0.as_ptr()) }
    }

    /// Removes a nested attribute and everything in it.
    pub(crate) fn nest_cancel(&mut self, nest: Nest) {
        // SAFETY: `nest` was opened in this skb.
        unsafe { b::wgrs_nla_nest_cancel(self.raw(), nest.0.as_ptr()) }
    }
}

/// A `do` request (`struct genl_info`).
///
/// # Invariants
///
/// Wraps the `genl_info` of a `do` op of one of our families, whose
/// attributes were parsed by the op's policy, valid for `'a`.
pub(crate) struct Request<'a>(&'a mut b::genl_info);

impl Request<'_> {
    /// The request's attributes, parsed with the op's policy.
    pub(crate) fn attrs(&self, max: u32) -> Attrs<'_> {
        Attrs {
            attrs: self.0.attrs,
            max: max as usize,
            _p: PhantomData,
        }
    }

    /// The network namespace of the requesting socket.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: the request skb belongs to a live netlink socket.
        unsafe { Net::from_raw(b::wgrs_genl_info_net(self.0)) }
    }

    /// Sets the extended-ack message returned with an error.
    pub(crate) fn set_err_msg(&self, msg: &'static CStr) {
        // SAFETY: `info` is valid and `msg` is static, as extack requires; the
        // shim only reads `info` and writes the extack object it points to.
        unsafe {
            b::wgrs_genl_set_err_msg(core::ptr::from_ref(&*self.0).cast_mut(), msg.as_char_ptr())
        }
    }
}

/// The handlers of the `wireguard` family's operations, as the kernel's
/// spec names them (`get-device` as a dump with a start and a done step,
/// `set-device` as a do). The driver implements this and instantiates the
/// entry points the generated ops table calls with
/// [`wireguard_genl_entry_points!`].
pub(crate) trait WireguardOps {
    /// `get-device`, before the first dump part: parse the request.
    fn get_device_start(dump: &mut Dump<'_>) -> Result;
    /// `get-device`, one dump part: fill `msg`; returns 0 when done, or
    /// the bytes written when more parts follow.
    fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32>;
    /// `get-device`, after the last part (also after an aborted dump).
    fn get_device_done(dump: &mut Dump<'_>);
    /// `set-device`.
    fn set_device(req: &mut Request<'_>) -> Result;
}

fn errno(r: Result<i32>) -> c_int {
    match r {
        Ok(v) => v,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// `cb` must be the valid dump callback the genetlink core passes to a
/// `start` op, exclusively ours for the call.
pub(crate) unsafe fn call_get_device_start<T: WireguardOps>(cb: *mut b::netlink_callback) -> c_int {
    // SAFETY: the caller passes a valid callback, exclusively ours for the call.
    let mut dump = Dump(unsafe { &mut *cb });
    errno(T::get_device_start(&mut dump).map(|()| 0))
}

/// # Safety
///
/// `skb` and `cb` must be the valid buffer and callback the genetlink core
/// passes to a `dumpit` op, exclusively ours for the call.
pub(crate) unsafe fn call_get_device_dump<T: WireguardOps>(
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
) -> c_int {
    let Some(skb) = NonNull::new(skb) else {
        return EINVAL.to_errno();
    };
    // SAFETY: the caller passes a valid callback, exclusively ours for the call.
    let mut dump = Dump(unsafe { &mut *cb });
    // INVARIANT: the core hands us this part's output buffer for the call.
    let mut msg = MsgBuf {
        skb,
        _p: PhantomData,
    };
    errno(T::get_device_dump(&mut dump, &mut msg))
}

/// # Safety
///
/// `cb` must be the valid dump callback the genetlink core passes to a
/// `done` op, exclusively ours for the call.
pub(crate) unsafe fn call_get_device_done<T: WireguardOps>(cb: *mut b::netlink_callback) -> c_int {
    // SAFETY: the caller passes a valid callback, exclusively ours for the call.
    let mut dump = Dump(unsafe { &mut *cb });
    T::get_device_done(&mut dump);
    0
}

/// # Safety
///
/// `info` must be the valid request the genetlink core passes to a `doit`
/// op, exclusively ours for the call.
pub(crate) unsafe fn call_set_device<T: WireguardOps>(info: *mut b::genl_info) -> c_int {
    // SAFETY: the caller passes a valid request, exclusively ours for the call.
    let mut req = Request(unsafe { &mut *info });
    errno(T::set_device(&mut req).map(|()| 0))
}

/// Defines the `extern "C"` functions that the ops table generated from
/// the kernel's WireGuard spec (`generated/netlink.c`) calls, forwarding
/// each to the [`WireguardOps`] implementation `$ops`. Use it once, in the
/// driver.
macro_rules! wireguard_genl_entry_points {
    ($ops:ty) => {
        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wg_get_device_start(
            cb: *mut $crate::kapi::genl::RawCallback,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid callback for the call.
            unsafe { $crate::kapi::genl::call_get_device_start::<$ops>(cb) }
        }

        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wgrs_get_device_dumpit(
            skb: *mut $crate::kapi::genl::RawSkb,
            cb: *mut $crate::kapi::genl::RawCallback,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid buffer and callback for the call.
            unsafe { $crate::kapi::genl::call_get_device_dump::<$ops>(skb, cb) }
        }

        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wg_get_device_done(
            cb: *mut $crate::kapi::genl::RawCallback,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid callback for the call.
            unsafe { $crate::kapi::genl::call_get_device_done::<$ops>(cb) }
        }

        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wgrs_set_device_doit(
            _skb: *mut $crate::kapi::genl::RawSkb,
            info: *mut $crate::kapi::genl::RawInfo,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid request for the call.
            unsafe { $crate::kapi::genl::call_set_device::<$ops>(info) }
        }
    };
}
pub(crate) use wireguard_genl_entry_points;

/// The handlers of the `wireguard-rs` family's operations, as our spec
/// names them (`get-device` as a dump without start or done steps,
/// `set-device` as a do). Instantiated with [`routing_genl_entry_points!`].
pub(crate) trait RoutingOps {
    /// `get-device`, one dump part: fill `msg`; returns 0 when done, or
    /// the bytes written when more parts follow.
    fn get_device_dump(dump: &mut Dump<'_>, msg: &mut MsgBuf<'_>) -> Result<i32>;
    /// `set-device`.
    fn set_device(req: &mut Request<'_>) -> Result;
}

/// # Safety
///
/// As for [`call_get_device_dump`].
pub(crate) unsafe fn call_routing_dump<T: RoutingOps>(
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
) -> c_int {
    let Some(skb) = NonNull::new(skb) else {
        return EINVAL.to_errno();
    };
    // SAFETY: the caller passes a valid callback, exclusively ours for the call.
    let mut dump = Dump(unsafe { &mut *cb });
    // INVARIANT: the core hands us this part's output buffer for the call.
    let mut msg = MsgBuf {
        skb,
        _p: PhantomData,
    };
    errno(T::get_device_dump(&mut dump, &mut msg))
}

/// # Safety
///
/// As for [`call_set_device`].
pub(crate) unsafe fn call_routing_set<T: RoutingOps>(info: *mut b::genl_info) -> c_int {
    // SAFETY: the caller passes a valid request, exclusively ours for the call.
    let mut req = Request(unsafe { &mut *info });
    errno(T::set_device(&mut req).map(|()| 0))
}

/// Defines the `extern "C"` functions that the ops table generated from our
/// spec (`generated/wgrs_netlink.c`) calls, forwarding each to the
/// [`RoutingOps`] implementation `$ops`. Use it once, in the driver.
macro_rules! routing_genl_entry_points {
    ($ops:ty) => {
        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wgrs_ext_get_device_dumpit(
            skb: *mut $crate::kapi::genl::RawSkb,
            cb: *mut $crate::kapi::genl::RawCallback,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid buffer and callback for the call.
            unsafe { $crate::kapi::genl::call_routing_dump::<$ops>(skb, cb) }
        }

        /// # Safety
        ///
        /// Called only by the genetlink core, through the generated ops table.
        #[no_mangle]
        unsafe extern "C" fn wgrs_ext_set_device_doit(
            _skb: *mut $crate::kapi::genl::RawSkb,
            info: *mut $crate::kapi::genl::RawInfo,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the core passes a valid request for the call.
            unsafe { $crate::kapi::genl::call_routing_set::<$ops>(info) }
        }
    };
}
pub(crate) use routing_genl_entry_points;

/// The C types of the entry points' arguments, for the macros above.
pub(crate) type RawCallback = b::netlink_callback;
/// See [`RawCallback`].
pub(crate) type RawSkb = b::sk_buff;
/// See [`RawCallback`].
pub(crate) type RawInfo = b::genl_info;

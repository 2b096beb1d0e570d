// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`): an owned packet ([`SkBuff`]), a FIFO
//! of packets linked through `skb->next` ([`SkbList`]), and the operations
//! the packet path does on them: header checks, GSO segmentation, ECN, the
//! per-packet control block, and in-place ChaCha20-Poly1305 over an skb's
//! scatter-gather segments.

use super::bindings as b;
use super::netdev::NetDevice;
use core::ptr::{
    null_mut,
    NonNull, //
};

/// `ETH_P_IP`, the protocol of an IPv4 packet.
pub(crate) const ETH_P_IP: u16 = b::WGRS_ETH_P_IP as u16;
/// `ETH_P_IPV6`, the protocol of an IPv6 packet.
pub(crate) const ETH_P_IPV6: u16 = b::WGRS_ETH_P_IPV6 as u16;

/// What the packet path keeps with a packet while it owns it, in the
/// skb's control block (`skb->cb`, which is ours between the device
/// receiving the packet and handing it to the IP layer or GRO).
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct PacketCb {
    /// The message counter (nonce) the packet is sent or was received with.
    pub(crate) nonce: u64,
    /// The path MTU when it was sent (0: unknown), for padding.
    pub(crate) mtu: u32,
    /// The outer DS field (DSCP and ECN) to send with, or received with.
    pub(crate) ds: u8,
    /// Received: the decryption queue's delay control marked it congested
    /// (set CE in `ds`) instead of dropping it.
    pub(crate) ce_marked: bool,
}

/// The ECN field of a DS field (`INET_ECN_MASK`).
pub(crate) const ECN_MASK: u8 = 3;
/// Congestion experienced, the ECN field's mark (`INET_ECN_CE`).
pub(crate) const ECN_CE: u8 = 3;

const _: () = assert!(core::mem::size_of::<PacketCb>() <= b::WGRS_SKB_CB_SIZE as usize);

/// Plain fields of `struct sk_buff` read and written here rather than
/// through a shim each: they are ordinary members in the bindings (made
/// from the same kernel build), and a call per access costs on every
/// packet. Everything with kernel logic behind it stays a kernel call.
mod field {
    use super::b;

    /// `skb->next`.
    ///
    /// # Safety
    ///
    /// `skb` points to a valid `sk_buff`.
    #[inline(always)]
    pub(super) unsafe fn next(skb: *const b::sk_buff) -> *mut b::sk_buff {
        // SAFETY: valid skb (the caller); the list link is a plain pointer
        // member of the first union (the `next`/`prev` pair).
        unsafe { (*skb).__bindgen_anon_1.__bindgen_anon_1.next }
    }

    /// Sets `skb->next`.
    ///
    /// # Safety
    ///
    /// `skb` points to a valid `sk_buff` the caller may relink.
    #[inline(always)]
    pub(super) unsafe fn set_next(skb: *mut b::sk_buff, next: *mut b::sk_buff) {
        // SAFETY: as for `next`; the caller owns the link.
        unsafe { (*skb).__bindgen_anon_1.__bindgen_anon_1.next = next }
    }

    /// `skb->len`.
    ///
    /// # Safety
    ///
    /// `skb` points to a valid `sk_buff`.
    #[inline(always)]
    pub(super) unsafe fn len(skb: *const b::sk_buff) -> u32 {
        // SAFETY: valid skb (the caller).
        unsafe { (*skb).len }
    }

    /// `skb->data` and `skb_headlen(skb)`.
    ///
    /// # Safety
    ///
    /// `skb` points to a valid `sk_buff`.
    #[inline(always)]
    pub(super) unsafe fn linear(skb: *const b::sk_buff) -> (*const u8, usize) {
        // SAFETY: valid skb (the caller); `data_len <= len` always holds
        // for a valid skb, so the subtraction is `skb_headlen`.
        unsafe {
            (
                (*skb).data.cast_const(),
                (*skb).len.wrapping_sub((*skb).data_len) as usize,
            )
        }
    }

    /// `skb->cb`.
    ///
    /// # Safety
    ///
    /// `skb` points to a valid `sk_buff`.
    #[inline(always)]
    pub(super) unsafe fn cb(skb: *mut b::sk_buff) -> *mut u8 {
        // SAFETY: valid skb (the caller); no reference to the skb is made.
        unsafe { core::ptr::addr_of_mut!((*skb).cb).cast::<u8>() }
    }
}

/// An owned socket buffer.
///
/// # Invariants
///
/// `0` points to a valid `sk_buff` that this value owns: nobody else frees
/// it or links it into a list, and dropping the value frees it. Its
/// control block holds a [`PacketCb`] (zeroed when the value was made).
pub(crate) struct SkBuff(NonNull<b::sk_buff>);

// SAFETY: an skb may be handed between CPUs; the owner has exclusive use.
unsafe impl Send for SkBuff {}
// SAFETY: `&self` methods only read the skb.
unsafe impl Sync for SkBuff {}

impl SkBuff {
    /// Takes ownership of `skb`, clearing its control block for our use.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `sk_buff` whose ownership the caller hands over,
    /// and that is on no list (or whose list link the caller no longer uses).
    pub(crate) unsafe fn from_raw(skb: NonNull<b::sk_buff>) -> Self {
        // SAFETY: the caller hands over a valid skb; its next pointer and
        // control block are ours from now on.
        unsafe {
            field::set_next(skb.as_ptr(), null_mut());
            field::cb(skb.as_ptr())
                .cast::<PacketCb>()
                .write(PacketCb::default());
        }
        // INVARIANT: the caller hands over a valid, owned skb; the control
        // block holds a `PacketCb` now.
        Self(skb)
    }

    /// Gives up ownership (to a kernel function that consumes the skb).
    pub(crate) fn into_raw(self) -> *mut b::sk_buff {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }

    pub(super) fn as_raw(&self) -> *mut b::sk_buff {
        self.0.as_ptr()
    }

    /// A new linear packet with `headroom` bytes reserved in front and room
    /// for `len` bytes of data (none written yet). `None` if out of memory.
    pub(crate) fn alloc(headroom: u32, len: u32) -> Option<Self> {
        // SAFETY: no preconditions (GFP_ATOMIC inside).
        let skb = NonNull::new(unsafe { b::wgrs_alloc_skb(headroom, len) })?;
        // SAFETY: a fresh skb is ours and on no list.
        Some(unsafe { Self::from_raw(skb) })
    }

    /// Appends `data` (the caller allocated room for it).
    pub(crate) fn put_data(&mut self, data: &[u8]) {
        let Ok(len) = u32::try_from(data.len()) else {
            return;
        };
        // SAFETY: the skb is ours; `skb_put` panics (BUG) if the tailroom is
        // short, which `alloc` callers rule out by allocating `len` bytes.
        unsafe {
            let dst = b::skb_put(self.as_raw(), len).cast::<u8>();
            core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
        }
    }

    /// Length of the data.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: the skb is valid.
        unsafe { field::len(self.as_raw()) as usize }
    }

    /// The data in the linear area (its first `headlen` bytes).
    pub(crate) fn head(&self) -> &[u8] {
        // SAFETY: `data` is valid for `headlen` bytes while the skb is ours
        // and not changed (which needs `&mut self`).
        unsafe {
            let (data, headlen) = field::linear(self.as_raw());
            core::slice::from_raw_parts(data, headlen)
        }
    }

    /// Makes sure the first `len` bytes are in the linear area.
    pub(crate) fn may_pull(&mut self, len: usize) -> bool {
        let Ok(len) = u32::try_from(len) else {
            return false;
        };
        // SAFETY: the skb is ours.
        unsafe { b::wgrs_skb_may_pull(self.as_raw(), len) }
    }

    /// Cuts the data to `len` bytes (no-op if it is not longer).
    pub(crate) fn trim(&mut self, len: usize) -> bool {
        let Ok(len) = u32::try_from(len) else {
            return true;
        };
        // SAFETY: the skb is ours.
        unsafe { b::wgrs_skb_trim(self.as_raw(), len) == 0 }
    }

    /// The packet's protocol (`skb->protocol`, host order).
    pub(crate) fn protocol(&self) -> u16 {
        // SAFETY: the skb is valid.
        unsafe { b::wgrs_skb_protocol(self.as_raw()) }
    }

    /// Whether the data starts with an IPv4 or IPv6 header of the version
    /// `skb->protocol` names.
    pub(crate) fn protocol_matches_header(&self) -> bool {
        // SAFETY: the skb is valid; the shim only reads it.
        unsafe { b::wgrs_skb_protocol_matches(self.as_raw()) }
    }

    /// The control block.
    pub(crate) fn cb(&self) -> &PacketCb {
        // SAFETY: the control block holds a `PacketCb` (type invariant).
        unsafe { &*field::cb(self.as_raw()).cast::<PacketCb>() }
    }

    /// The control block, to change.
    pub(crate) fn cb_mut(&mut self) -> &mut PacketCb {
        // SAFETY: as for `cb`; `&mut self` makes the access exclusive.
        unsafe { &mut *field::cb(self.as_raw()).cast::<PacketCb>() }
    }

    /// Whether the packet is a GSO super-packet.
    pub(crate) fn is_gso(&self) -> bool {
        // SAFETY: the skb is valid.
        unsafe { b::wgrs_skb_is_gso(self.as_raw()) }
    }

    /// Segments a GSO packet in software, consuming it; gives it back if
    /// segmentation fails.
    pub(crate) fn gso_segment(self) -> core::result::Result<SkbList, SkBuff> {
        let mut err = 0;
        // SAFETY: the skb is ours; segmentation does not consume it.
        let segs = unsafe { b::wgrs_skb_gso_segment(self.as_raw(), &mut err) };
        if segs.is_null() {
            return Err(self);
        }
        drop(self);
        let mut list = SkbList::new();
        let mut p = segs;
        while let Some(seg) = NonNull::new(p) {
            // SAFETY: the segments form a fresh list we own; read the link
            // before `from_raw` clears it.
            p = unsafe { field::next(seg.as_ptr()) };
            // SAFETY: each segment is ours and its link was read above.
            list.push_back(unsafe { SkBuff::from_raw(seg) });
        }
        Ok(list)
    }

    /// Unshares the skb if someone else holds a reference (`None` if out
    /// of memory: the skb is then freed).
    pub(crate) fn unshare(self) -> Option<Self> {
        let cb = *self.cb();
        // SAFETY: we own the skb; `skb_share_check` consumes it and returns
        // an owned one (the same or a clone) or null.
        let skb = NonNull::new(unsafe { b::wgrs_skb_share_check(self.into_raw()) })?;
        // SAFETY: the result is ours, on no list.
        let mut skb = unsafe { SkBuff::from_raw(skb) };
        *skb.cb_mut() = cb;
        Some(skb)
    }

    /// The MTU of the packet's route, if it has a valid one.
    pub(crate) fn dst_mtu(&self) -> Option<u32> {
        // SAFETY: the skb is valid.
        let mtu = unsafe { b::wgrs_skb_dst_mtu(self.as_raw()) };
        (mtu != 0).then_some(mtu)
    }

    /// Drops the packet's route.
    pub(crate) fn dst_drop(&mut self) {
        // SAFETY: the skb is ours.
        unsafe { b::wgrs_skb_dst_drop(self.as_raw()) }
    }

    /// Detaches the packet from the socket that sent it (so a packet that
    /// waits for a handshake does not hold the socket's buffer space).
    pub(crate) fn orphan(&mut self) {
        // SAFETY: the skb is ours.
        unsafe { b::wgrs_skb_orphan(self.as_raw()) }
    }

    /// The DS field to put on the outer header: the inner packet's ECN bits
    /// encapsulated, and no DSCP (nothing of the inner header leaks).
    pub(crate) fn ecn_encap_ds(&self) -> u8 {
        // SAFETY: the skb holds an IP packet at its network header (checked
        // at transmit).
        unsafe { b::wgrs_ip_tunnel_ecn_encap(self.as_raw()) }
    }

    /// The DS field of the packet's IP header (an outer header, received).
    pub(crate) fn dsfield(&self) -> u8 {
        // SAFETY: a received datagram has its IP header in place.
        unsafe { b::wgrs_ip_tunnel_get_dsfield(self.as_raw()) }
    }

    /// Adds `padding` zero bytes and room for the tag, encrypts the data and
    /// the padding in place with ChaCha20-Poly1305 under `key` and `nonce`,
    /// and puts `header` in front; keeps `headroom` bytes of headroom for
    /// the outer headers. `false` if the skb cannot be made writable.
    pub(crate) fn seal(
        &mut self,
        header: &[u8],
        padding: usize,
        headroom: u32,
        nonce: u64,
        key: &[u8; 32],
    ) -> bool {
        let (Ok(hlen), Ok(pad)) = (u32::try_from(header.len()), u32::try_from(padding)) else {
            return false;
        };
        // SAFETY: the skb is ours; `header` and `key` are valid for their
        // lengths (the shim reads 32 key bytes).
        unsafe {
            b::wgrs_skb_seal(
                self.as_raw(),
                header.as_ptr().cast(),
                hlen,
                pad,
                headroom,
                nonce,
                key.as_ptr(),
            )
        }
    }

    /// Decrypts in place what follows the first `header_len` bytes (which
    /// it pulls) with ChaCha20-Poly1305 under `key` and `nonce`, and removes
    /// the tag. `false` if it does not authenticate (or the skb cannot be
    /// made writable); the data is then unspecified.
    pub(crate) fn open(&mut self, header_len: usize, nonce: u64, key: &[u8; 32]) -> bool {
        let Ok(hlen) = u32::try_from(header_len) else {
            return false;
        };
        // SAFETY: the skb is ours; `key` is 32 bytes.
        unsafe { b::wgrs_skb_open(self.as_raw(), hlen, nonce, key.as_ptr()) }
    }

    /// Clears what the packet carried from the layer it came from, before
    /// it crosses to the other side of the tunnel (keeping the flow hash
    /// when `encapsulating`).
    pub(crate) fn reset_for_tunnel(&mut self, encapsulating: bool) {
        // SAFETY: the skb is ours.
        unsafe { b::wgrs_skb_reset_packet(self.as_raw(), encapsulating) }
    }

    /// Narrows a received datagram to its UDP payload, checking the IP and
    /// UDP headers; the first `min_len` payload bytes end up linear.
    pub(crate) fn narrow_to_udp_payload(&mut self, min_len: usize) -> bool {
        let Ok(min_len) = u32::try_from(min_len) else {
            return false;
        };
        // SAFETY: the skb is ours, a datagram from the UDP stack.
        unsafe { b::wgrs_skb_udp_payload(self.as_raw(), min_len) }
    }

    /// The outer addresses of a received datagram: IPv4 source and
    /// destination (network order) and UDP source port (network order).
    pub(crate) fn outer_v4(&self) -> ([u8; 4], [u8; 4], [u8; 2]) {
        let (mut s, mut d, mut p) = (0u32, 0u32, 0u16);
        // SAFETY: a received IPv4 datagram keeps its IP and UDP headers.
        unsafe { b::wgrs_skb_source4(self.as_raw(), &mut s, &mut d, &mut p) };
        (s.to_ne_bytes(), d.to_ne_bytes(), p.to_ne_bytes())
    }

    /// As [`SkBuff::outer_v4`] for IPv6, with the scope id the source needs.
    pub(crate) fn outer_v6(&self) -> ([u8; 16], [u8; 16], [u8; 2], u32) {
        let mut s: b::in6_addr = pin_init::zeroed();
        let mut d: b::in6_addr = pin_init::zeroed();
        let (mut p, mut scope) = (0u16, 0u32);
        // SAFETY: a received IPv6 datagram keeps its IP and UDP headers.
        unsafe { b::wgrs_skb_source6(self.as_raw(), &mut s, &mut d, &mut p, &mut scope) };
        // SAFETY: `in6_addr` is 16 bytes of address in every view.
        let (s, d) = unsafe { (s.in6_u.u6_addr8, d.in6_u.u6_addr8) };
        (s, d, p.to_ne_bytes(), scope)
    }

    /// The interface the packet arrived on.
    pub(crate) fn iif(&self) -> i32 {
        // SAFETY: the skb is valid.
        unsafe { b::wgrs_skb_iif(self.as_raw()) }
    }

    /// Checks a decrypted packet's inner IP header: its network header is
    /// inside the skb and a whole IPv4 or IPv6 header is linear there.
    /// Returns the IP version found (4 or 6), or `None`.
    pub(crate) fn inner_ip_version(&mut self) -> Option<u8> {
        let p = self.as_raw();
        // SAFETY: the skb is ours; the shims only read or pull it.
        unsafe {
            if !b::wgrs_skb_network_header_in_head(p) || !b::wgrs_skb_network_may_pull(p, 20) {
                return None;
            }
        }
        let v = self.head().first()? >> 4;
        match v {
            4 => Some(4),
            // SAFETY: as above.
            6 if unsafe { b::wgrs_skb_network_may_pull(p, 40) } => Some(6),
            _ => None,
        }
    }

    /// Marks a decrypted packet as an IP packet of the version its header
    /// says, with checksums needing no check (the AEAD tag authenticated
    /// every byte), arriving on `dev`. Returns the protocol set.
    pub(crate) fn set_inner_protocol(&mut self, dev: &NetDevice) -> u16 {
        let p = self.as_raw();
        // SAFETY: the skb is ours; `dev` outlives the call.
        unsafe {
            b::wgrs_skb_set_dev(p, dev.as_raw());
            b::wgrs_skb_checksum_unnecessary(p);
            let proto = b::wgrs_ip_tunnel_parse_protocol(p);
            b::wgrs_skb_set_protocol(p, proto);
            proto
        }
    }

    /// Applies the outer header's ECN bits `outer` to the inner packet
    /// (`INET_ECN_decapsulate`, RFC 6040: a CE mark is copied inward onto
    /// an ECN-capable packet). Call after [`SkBuff::set_inner_protocol`].
    /// `false` if `outer` is CE and the inner packet not ECN-capable, the
    /// one case where RFC 6040 drops the packet rather than lose the mark
    /// (which the caller decides; the C driver delivers it).
    pub(crate) fn ecn_decapsulate(&mut self, outer: u8) -> bool {
        // SAFETY: the skb is ours and its IP header checked linear.
        unsafe { b::wgrs_inet_ecn_decapsulate(self.as_raw(), outer) != 2 }
    }

    /// Sends an ICMP or ICMPv6 "unreachable" back to the packet's source
    /// (the packet is not consumed).
    pub(crate) fn icmp_unreachable(&self) {
        // SAFETY: the skb is valid; `icmp_ndo_send` only reads it.
        unsafe { b::wgrs_icmp_unreachable(self.as_raw()) }
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: we own the skb by the type invariant and nobody uses it after.
        unsafe { b::wgrs_kfree_skb(self.0.as_ptr()) };
    }
}

/// A FIFO of owned packets, linked through `skb->next`.
///
/// # Invariants
///
/// `head` is null or the first of `len` owned skbs linked through `next`,
/// the last one's `next` null and pointed to by `tail`.
pub(crate) struct SkbList {
    head: *mut b::sk_buff,
    tail: *mut b::sk_buff,
    len: usize,
}

// SAFETY: the list owns its skbs, which may move between CPUs.
unsafe impl Send for SkbList {}
// SAFETY: `&self` methods only read lengths.
unsafe impl Sync for SkbList {}

impl Default for SkbList {
    fn default() -> Self {
        Self::new()
    }
}

impl SkbList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            head: null_mut(),
            tail: null_mut(),
            len: 0,
        }
    }

    /// Packets in the list.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a packet.
    pub(crate) fn push_back(&mut self, skb: SkBuff) {
        let p = skb.into_raw();
        // SAFETY: `p` is ours (from `skb`); `tail`, if set, is the list's.
        unsafe {
            field::set_next(p, null_mut());
            if self.tail.is_null() {
                self.head = p;
            } else {
                field::set_next(self.tail, p);
            }
        }
        // INVARIANT: `p` is linked at the tail.
        self.tail = p;
        self.len += 1;
    }

    /// Takes the first packet.
    pub(crate) fn pop_front(&mut self) -> Option<SkBuff> {
        let first = NonNull::new(self.head)?;
        // SAFETY: `first` is the list's first skb.
        self.head = unsafe { field::next(first.as_ptr()) };
        if self.head.is_null() {
            self.tail = null_mut();
        }
        self.len -= 1;
        // SAFETY: unlinked above; the list owned it. `from_raw` would clear
        // the control block, which travels with the packet, so keep it.
        unsafe {
            field::set_next(first.as_ptr(), null_mut());
        }
        // INVARIANT: the skb is owned and its control block holds a
        // `PacketCb` (it was a `SkBuff` when pushed).
        Some(SkBuff(first))
    }

    /// Moves all of `other`'s packets to the end of this list.
    pub(crate) fn append(&mut self, other: &mut SkbList) {
        if other.head.is_null() {
            return;
        }
        if self.tail.is_null() {
            self.head = other.head;
        } else {
            // SAFETY: `tail` is this list's last skb.
            unsafe { field::set_next(self.tail, other.head) };
        }
        self.tail = other.tail;
        self.len += other.len;
        // INVARIANT: `other` gave its skbs to this list (and is emptied
        // without dropping them).
        other.head = null_mut();
        other.tail = null_mut();
        other.len = 0;
    }

    /// Moves all of `other`'s packets to the front of this list.
    pub(crate) fn prepend(&mut self, other: &mut SkbList) {
        let mut other = core::mem::take(other);
        other.append(self);
        *self = other;
    }

    /// Gives up the packets: the first, linked through `next` to the
    /// others (null if there are none).
    fn into_raw_chain(mut self) -> *mut b::sk_buff {
        let head = self.head;
        // INVARIANT: the list is empty again; the chain is the caller's.
        self.head = null_mut();
        self.tail = null_mut();
        self.len = 0;
        head
    }

    /// Calls `f` on each packet, in order.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut SkBuff)) {
        let mut done = SkbList::new();
        while let Some(mut skb) = self.pop_front() {
            f(&mut skb);
            done.push_back(skb);
        }
        *self = done;
    }
}

/// The most segments one UDP GSO packet of a [`GsoBatch`] carries.
pub(crate) const GSO_MAX_SEGMENTS: usize = 64;
/// The most bytes one UDP GSO packet of a [`GsoBatch`] carries: its UDP
/// length and the outer IP length are 16-bit fields, which must hold the
/// whole packet before segmentation (with room for the headers).
pub(crate) const GSO_MAX_BYTES: usize = 65535 - 64;

/// Packets gathered to leave as one UDP GSO packet: all the same size but
/// the last, which may be shorter, each of them whole in its linear area
/// and not shared. The stack below sees one packet (one route, one pass
/// through netfilter, one device transmit) until it is segmented again,
/// by the kernel (`skb_segment`) at the latest on the way out of the
/// device, or by the receiving UDP socket when it stays on this host.
///
/// # Invariants
///
/// Every packet in `list` is joinable (`wgrs_skb_gso_joinable`), every one
/// but the last is `size` bytes long and the last at most `size`; `bytes`
/// is their total, at most [`GSO_MAX_BYTES`], and there are at most
/// [`GSO_MAX_SEGMENTS`]. `closed` is set once a packet shorter than `size`
/// was added (no other may follow it).
pub(crate) struct GsoBatch {
    list: SkbList,
    size: usize,
    bytes: usize,
    closed: bool,
}

impl GsoBatch {
    /// An empty batch.
    pub(crate) const fn new() -> Self {
        Self {
            list: SkbList::new(),
            size: 0,
            bytes: 0,
            closed: false,
        }
    }

    /// Packets in the batch.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the batch is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds `skb` if it can be the batch's next segment; gives it back if
    /// not (the caller sends the batch and starts a new one with it).
    pub(crate) fn try_push(&mut self, skb: SkBuff) -> core::result::Result<(), SkBuff> {
        let len = skb.len();
        // SAFETY: the skb is valid; the shim only reads it.
        let joinable = unsafe { b::wgrs_skb_gso_joinable(skb.as_raw()) };
        let fits = joinable
            && len > 0
            && self.list.len() < GSO_MAX_SEGMENTS
            && self.bytes + len <= GSO_MAX_BYTES
            && (self.list.is_empty() || (!self.closed && len <= self.size));
        if !fits {
            return Err(skb);
        }
        if self.list.is_empty() {
            self.size = len;
        } else if len < self.size {
            self.closed = true;
        }
        self.bytes += len;
        // INVARIANT: checked above: joinable, within the size, count and
        // byte limits, after no shorter packet.
        self.list.push_back(skb);
        Ok(())
    }

    /// The batch as one packet to send: its only packet as it is, or the
    /// UDP GSO packet of all of them; `None` if it is empty.
    pub(crate) fn finish(mut self) -> Option<SkBuff> {
        if self.list.len() <= 1 {
            return self.list.pop_front();
        }
        let (Ok(size), Ok(segs)) = (u32::try_from(self.size), u32::try_from(self.list.len())) else {
            return None;
        };
        let first = core::mem::take(&mut self.list).into_raw_chain();
        // SAFETY: `first` heads a chain of two or more owned packets of the
        // geometry the shim requires (the type invariant); it consumes them
        // into one packet that it returns, non-null.
        let joined = unsafe { b::wgrs_skb_join_udp_gso(first, size, segs) };
        // INVARIANT: the joined packet is ours and on no list; its control
        // block is the first packet's, a `PacketCb`.
        NonNull::new(joined).map(SkBuff)
    }
}

impl Iterator for SkbList {
    type Item = SkBuff;

    fn next(&mut self) -> Option<SkBuff> {
        self.pop_front()
    }
}

impl Drop for SkbList {
    fn drop(&mut self) {
        while let Some(skb) = self.pop_front() {
            drop(skb);
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Cryptokey routing: the AllowedIPs longest-prefix-match tries (the C
//! driver's `allowedips.c`), one for IPv4 and one for IPv6, mapping prefixes
//! to peers.
//!
//! Lookups (send: destination address; receive: source address) run under
//! RCU with no lock; updates are serialised by the table's own mutex
//! (callers also hold the device's update lock, as in the C driver). Nodes
//! come from two dedicated slab caches and are freed after an RCU grace
//! period.
//!
//! Layout. A node holds its prefix (host-order integer, host bits masked),
//! its length, the peer (null for the branching nodes the trie needs where
//! two prefixes diverge), two children, and the links of its peer's list of
//! prefixes (for removing a peer's prefixes and for dumps; one list for both
//! families, in insertion order, so the links come first in both node types
//! and list pointers carry the family in bit 0). There is no
//! parent pointer: removal walks down from the root (at most 33 or 129
//! steps), and the RCU free head reuses the list links, so a node is 48
//! bytes for IPv4 and 64 for IPv6 (the C driver's is 72 for both).
//!
//! Invariants (relied on by `deref`):
//! - every non-null node pointer in a root, a child slot or a peer list
//!   points to a live node from the matching cache;
//! - a node is freed only by `retire`, after it was unlinked from the trie
//!   and its peer list, and the memory is released only after an RCU grace
//!   period; only the writer (holding `lock`) unlinks and retires.

use crate::kapi::rcu::ReadGuard;
use crate::kapi::slab::KmemCache;
use core::{
    marker::PhantomData,
    ptr::{
        null_mut,
        NonNull, //
    },
    sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU64, AtomicUsize,
        Ordering::{
            Acquire,
            Relaxed,
            Release, //
        },
    },
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex,
        MutexGuard, //
    },
};

/// A peer that can own prefixes.
///
/// # Safety
///
/// Implementors promise that a value is freed only after an RCU grace period
/// that follows [`AllowedIps::remove_by_peer`] for it on every table it was
/// inserted into, so lookups may hand out references under an RCU guard.
pub(crate) unsafe trait AllowedIpsPeer: Sync + Sized {
    /// The peer's lists of prefixes, owned by the tables.
    fn allowedips_list(&self) -> &PeerList<Self>;
}

/// A peer's prefixes of both families in insertion order (dumps list them
/// in that order, as the C driver does). Only tables touch it, under their
/// lock. It holds [`Tagged`] node pointers.
pub(crate) struct PeerList<P> {
    first: AtomicUsize,
    _p: PhantomData<P>,
}

impl<P> PeerList<P> {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            first: AtomicUsize::new(0),
            _p: PhantomData,
        }
    }
}

/// A node pointer of either family, as peer lists hold them: the address
/// of the node (whose [`Links`] come first), with bit 0 set for IPv6
/// (nodes are at least 8-byte aligned). 0 is the null pointer.
type Tagged = usize;

/// The peer-list links, first in every node so that one list can chain
/// nodes of both families; reused as the RCU free head once retired.
#[repr(C)]
struct Links {
    prev: AtomicUsize,
    next: AtomicUsize,
}

/// A node found through a peer list.
enum Entry<'a, P> {
    V4(&'a Node<u32, P>),
    V6(&'a Node<u128, P>),
}

impl<'a, P> Entry<'a, P> {
    fn links(&self) -> &'a Links {
        match self {
            Self::V4(n) => &n.links,
            Self::V6(n) => &n.links,
        }
    }
}

/// Follows a peer-list pointer.
///
/// # Safety
///
/// As for [`deref`]: `t` is 0 or was read from a peer list (or is a node's
/// own [`Node::tagged`]) of a table whose guard or writer lock `proof` is.
unsafe fn deref_tagged<'a, P>(t: Tagged, proof: &'a impl Proof) -> Option<Entry<'a, P>> {
    let addr = t & !1;
    // SAFETY: bit 0 tells the family of the tagged node (the caller's
    // promise covers the address).
    unsafe {
        if t & 1 == 0 {
            deref(addr as *mut Node<u32, P>, proof).map(Entry::V4)
        } else {
            deref(addr as *mut Node<u128, P>, proof).map(Entry::V6)
        }
    }
}

/// A prefix key: an IPv4 (`u32`) or IPv6 (`u128`) address in host order.
pub(crate) trait Key: Copy + Eq + Send + Sync + 'static {
    /// Address width in bits.
    const BITS: u8;
    /// The address with every bit after the first `cidr` cleared.
    fn masked(self, cidr: u8) -> Self;
    /// How many leading bits `self` and `other` share.
    fn common_bits(self, other: Self) -> u8;
    /// Bit `i` counted from the most significant (0-based, `i < BITS`).
    fn bit(self, i: u8) -> usize;
    /// Bit 0 of this family's [`Tagged`] pointers.
    const TAG: usize;
    /// This family's node cache.
    fn cache(c: &NodeCaches) -> &KmemCache<Node<Self, ()>>;
}

macro_rules! impl_key {
    ($t:ty, $bits:literal, $tag:literal, $cache:ident) => {
        impl Key for $t {
            const BITS: u8 = $bits;
            const TAG: usize = $tag;
            fn masked(self, cidr: u8) -> Self {
                if cidr == 0 {
                    0
                } else {
                    self & (<$t>::MAX << ($bits - u32::from(cidr)))
                }
            }
            fn common_bits(self, other: Self) -> u8 {
                (self ^ other).leading_zeros() as u8
            }
            fn bit(self, i: u8) -> usize {
                ((self >> ($bits - 1 - u32::from(i))) & 1) as usize
            }
            fn cache(c: &NodeCaches) -> &KmemCache<Node<Self, ()>> {
                &c.$cache
            }
        }
    };
}

impl_key!(u32, 32, 0, v4);
impl_key!(u128, 128, 1, v6);

/// A trie node. See the module documentation for the layout.
#[repr(C)]
pub(crate) struct Node<K, P> {
    /// Peer-list links (first: see [`Links`]).
    links: Links,
    key: K,
    cidr: u8,
    /// Set on a peer's prefixes while its list is being replaced; prefixes
    /// still set when the replacement ends are removed (see
    /// [`AllowedIps::replace_begin`]). Fits in the padding after `cidr`.
    stale: AtomicBool,
    peer: AtomicPtr<P>,
    child: [AtomicPtr<Node<K, P>>; 2],
}

impl<K: Key, P> Node<K, P> {
    /// This node as a peer-list pointer.
    fn tagged(&self) -> Tagged {
        core::ptr::from_ref(self) as usize | K::TAG
    }
}

/// The two slab caches, shared by all tables of the module (slab cache
/// names must be unique, so there is one pair per module). The node type
/// does not depend on the peer type (only a pointer to it is stored), so the
/// caches are typed with `()` and nodes are cast on the way in and out.
pub(crate) struct NodeCaches {
    v4: KmemCache<Node<u32, ()>>,
    v6: KmemCache<Node<u128, ()>>,
}

impl NodeCaches {
    /// Creates the caches (once per module).
    pub(crate) fn new() -> Result<Self> {
        Self::named(c"wgrs_allowedips_node4", c"wgrs_allowedips_node6")
    }

    /// Caches of their own for the KUnit suites, which run while the
    /// module's caches exist (a second cache of the same name warns).
    #[cfg(any(wgrs_kunit_tests, wgrs_kunit_bench))]
    pub(crate) fn for_tests() -> Result<Self> {
        Self::named(c"wgrs_test_allowedips_node4", c"wgrs_test_allowedips_node6")
    }

    fn named(v4: &'static core::ffi::CStr, v6: &'static core::ffi::CStr) -> Result<Self> {
        Ok(Self {
            v4: KmemCache::new(v4)?,
            v6: KmemCache::new(v6)?,
        })
    }

    /// Slab bytes per IPv4 and IPv6 node.
    #[cfg(wgrs_kunit_bench)]
    pub(crate) fn node_sizes(&self) -> (usize, usize) {
        (self.v4.object_size(), self.v6.object_size())
    }
}

/// Proof of being allowed to follow node pointers for `'a`: an RCU read
/// guard, or the table's writer lock.
pub(crate) trait Proof {}
impl Proof for ReadGuard {}
impl<P> Proof for Writer<'_, P> {}

/// Follows a node pointer.
///
/// # Safety
///
/// `p` must be null, or have been read from a root, a child slot or a peer
/// list of the table that `proof` guards (an RCU read guard, or the
/// table's writer lock) while `proof` was held, or be a node the writer
/// holding `proof` allocated and has not retired.
unsafe fn deref<'a, K, P>(p: *mut Node<K, P>, _proof: &'a impl Proof) -> Option<&'a Node<K, P>> {
    // SAFETY: by the module invariants such a pointer is live; the proof
    // keeps it so for `'a` (RCU defers the free past the guard; only the
    // writer frees).
    unsafe { p.as_ref() }
}

/// A prefix of a peer, as read back for dumps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Prefix {
    /// IPv4 address (network order) and length.
    V4([u8; 4], u8),
    /// IPv6 address (network order) and length.
    V6([u8; 16], u8),
}

/// Where a dump of a peer's prefixes stopped: the last prefix emitted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) enum Cursor {
    /// Not started.
    #[default]
    Start,
    /// After an IPv4 prefix.
    V4(u32, u8),
    /// After an IPv6 prefix.
    V6(u128, u8),
    /// Everything was emitted.
    Done,
}

/// The writer's exclusive access, held while a table is changed.
pub(crate) struct Writer<'a, P> {
    _guard: MutexGuard<'a, ()>,
    _p: PhantomData<P>,
}

/// Counters of a table, for tests and benchmarks.
#[cfg(any(wgrs_kunit_tests, wgrs_kunit_bench))]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Stats {
    /// Nodes in the IPv4 trie (prefixes and branching nodes).
    pub(crate) nodes4: usize,
    /// Nodes in the IPv6 trie.
    pub(crate) nodes6: usize,
}

/// A device's AllowedIPs table.
#[pin_data(PinnedDrop)]
pub(crate) struct AllowedIps<P: AllowedIpsPeer> {
    caches: Arc<NodeCaches>,
    root4: AtomicPtr<Node<u32, P>>,
    root6: AtomicPtr<Node<u128, P>>,
    #[pin]
    lock: Mutex<()>,
    nodes4: AtomicUsize,
    nodes6: AtomicUsize,
    /// Bumped on every change, so a dump can tell that the table changed
    /// between two of its parts.
    seq: AtomicU64,
}

impl<P: AllowedIpsPeer> AllowedIps<P> {
    /// An empty table using `caches`.
    pub(crate) fn new(caches: Arc<NodeCaches>) -> impl PinInit<Self> {
        pin_init!(Self {
            caches,
            root4: AtomicPtr::new(null_mut()),
            root6: AtomicPtr::new(null_mut()),
            lock <- new_mutex!((), "wireguard_rs_allowedips"),
            nodes4: AtomicUsize::new(0),
            nodes6: AtomicUsize::new(0),
            seq: AtomicU64::new(1),
        })
    }

    /// Takes the writer lock for a change, bumping the change counter.
    fn writer(&self) -> Writer<'_, P> {
        let w = self.reader_lock();
        self.seq.fetch_add(1, Relaxed);
        w
    }

    /// Takes the writer lock to read (walks), leaving the counter alone.
    fn reader_lock(&self) -> Writer<'_, P> {
        Writer {
            _guard: self.lock.lock(),
            _p: PhantomData,
        }
    }

    /// The change counter: two equal readings saw the same table.
    pub(crate) fn seq(&self) -> u64 {
        self.seq.load(Relaxed)
    }

    /// Node counts.
    #[cfg(any(wgrs_kunit_tests, wgrs_kunit_bench))]
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            nodes4: self.nodes4.load(Relaxed),
            nodes6: self.nodes6.load(Relaxed),
        }
    }

    /// Maps `addr/cidr` (network order, host bits ignored) to `peer`; a
    /// prefix already present moves to `peer`. `EINVAL` if `cidr` is too long.
    pub(crate) fn insert_v4(&self, addr: [u8; 4], cidr: u8, peer: &P) -> Result {
        let w = self.writer();
        self.insert(&w, &self.root4, u32::from_be_bytes(addr), cidr, peer)
    }

    /// As [`AllowedIps::insert_v4`] for IPv6.
    pub(crate) fn insert_v6(&self, addr: [u8; 16], cidr: u8, peer: &P) -> Result {
        let w = self.writer();
        self.insert(&w, &self.root6, u128::from_be_bytes(addr), cidr, peer)
    }

    /// Removes `addr/cidr` if it belongs to `peer` (else changes nothing:
    /// the semantics of `WGALLOWEDIP_F_REMOVE_ME`). `EINVAL` if `cidr` is
    /// too long; removing an absent prefix is not an error.
    pub(crate) fn remove_v4(&self, addr: [u8; 4], cidr: u8, peer: &P) -> Result {
        let w = self.writer();
        self.remove(&w, &self.root4, u32::from_be_bytes(addr), cidr, peer)
    }

    /// As [`AllowedIps::remove_v4`] for IPv6.
    pub(crate) fn remove_v6(&self, addr: [u8; 16], cidr: u8, peer: &P) -> Result {
        let w = self.writer();
        self.remove(&w, &self.root6, u128::from_be_bytes(addr), cidr, peer)
    }

    /// Removes every prefix of `peer`.
    pub(crate) fn remove_by_peer(&self, peer: &P) {
        let w = self.writer();
        let list = peer.allowedips_list();
        // SAFETY: read from the trie or a peer list under the writer lock.
        while let Some(e) = unsafe { deref_tagged::<P>(list.first.load(Relaxed), &w) } {
            self.remove_entry(&w, e);
        }
    }

    /// Removes the prefix of a node found in a peer list.
    fn remove_entry(&self, w: &Writer<'_, P>, e: Entry<'_, P>) {
        match e {
            Entry::V4(n) => self.remove_exact(w, &self.root4, n.key, n.cidr, None),
            Entry::V6(n) => self.remove_exact(w, &self.root6, n.key, n.cidr, None),
        }
    }

    /// Whether `peer` has any prefix in the table.
    pub(crate) fn has_prefixes(&self, peer: &P) -> bool {
        peer.allowedips_list().first.load(Relaxed) != 0
    }

    /// Starts replacing `peer`'s prefixes without a moment in which the
    /// ones that stay are missing (which the C driver's remove-all-then-add
    /// has): every current prefix of `peer` is marked stale; inserting a
    /// prefix unmarks it; [`AllowedIps::replace_commit`] then removes what
    /// is still marked, and [`AllowedIps::replace_abort`] unmarks it all.
    pub(crate) fn replace_begin(&self, peer: &P) {
        self.set_stale(peer, true);
    }

    /// Ends a replacement: removes `peer`'s prefixes that were not inserted
    /// again since [`AllowedIps::replace_begin`].
    pub(crate) fn replace_commit(&self, peer: &P) {
        let w = self.writer();
        let mut t = peer.allowedips_list().first.load(Relaxed);
        // SAFETY: read from the trie or a peer list under the writer lock.
        while let Some(e) = unsafe { deref_tagged::<P>(t, &w) } {
            // Removing a node never frees another prefix node, so the next
            // one stays valid.
            t = e.links().next.load(Relaxed);
            let stale = match &e {
                Entry::V4(n) => n.stale.load(Relaxed),
                Entry::V6(n) => n.stale.load(Relaxed),
            };
            if stale {
                self.remove_entry(&w, e);
            }
        }
    }

    /// Abandons a replacement: `peer` keeps all its prefixes.
    pub(crate) fn replace_abort(&self, peer: &P) {
        self.set_stale(peer, false);
    }

    fn set_stale(&self, peer: &P, stale: bool) {
        let w = self.reader_lock();
        let mut t = peer.allowedips_list().first.load(Relaxed);
        // SAFETY: read from the trie or a peer list under the writer lock.
        while let Some(e) = unsafe { deref_tagged::<P>(t, &w) } {
            match &e {
                Entry::V4(n) => n.stale.store(stale, Relaxed),
                Entry::V6(n) => n.stale.store(stale, Relaxed),
            }
            t = e.links().next.load(Relaxed);
        }
    }

    /// The peer whose prefix best matches IPv4 address `addr`.
    pub(crate) fn lookup_v4<'g>(&self, guard: &'g ReadGuard, addr: [u8; 4]) -> Option<&'g P> {
        Self::lookup(guard, &self.root4, u32::from_be_bytes(addr))
    }

    /// The peer whose prefix best matches IPv6 address `addr`.
    pub(crate) fn lookup_v6<'g>(&self, guard: &'g ReadGuard, addr: [u8; 16]) -> Option<&'g P> {
        Self::lookup(guard, &self.root6, u128::from_be_bytes(addr))
    }

    fn lookup<'g, K: Key>(
        guard: &'g ReadGuard,
        root: &AtomicPtr<Node<K, P>>,
        key: K,
    ) -> Option<&'g P> {
        let mut found: *mut P = null_mut();
        // SAFETY: read from the trie under the RCU read guard `guard`.
        let mut node = unsafe { deref(root.load(Acquire), guard) };
        while let Some(n) = node {
            if key.common_bits(n.key) < n.cidr {
                break;
            }
            let peer = n.peer.load(Acquire);
            if !peer.is_null() {
                found = peer;
            }
            if n.cidr == K::BITS {
                break;
            }
            // SAFETY: read from the trie under the RCU read guard `guard`.
            node = unsafe { deref(n.child[key.bit(n.cidr)].load(Acquire), guard) };
        }
        // SAFETY: a peer stays valid for an RCU grace period after it left
        // the table (the `AllowedIpsPeer` contract), and we are inside one.
        unsafe { found.as_ref() }
    }

    /// Emits `peer`'s prefixes after `cursor`, in insertion order, while
    /// `emit` returns `true`; updates `cursor`. If the prefix the cursor
    /// names is gone (the table changed between dump parts), the walk
    /// restarts from the beginning; the dump's generation check tells
    /// userspace to retry.
    pub(crate) fn walk(&self, peer: &P, cursor: &mut Cursor, mut emit: impl FnMut(Prefix) -> bool) {
        let w = self.reader_lock();
        let first = peer.allowedips_list().first.load(Relaxed);
        let peer_ptr = core::ptr::from_ref(peer).cast_mut();
        // Find where to start: after the cursor's node if it is still ours.
        let mut t = match *cursor {
            Cursor::Done => return,
            Cursor::Start => first,
            Cursor::V4(key, cidr) => match self.find_exact(&w, &self.root4, key, cidr) {
                Some(n) if n.peer.load(Relaxed) == peer_ptr => n.links.next.load(Relaxed),
                _ => first,
            },
            Cursor::V6(key, cidr) => match self.find_exact(&w, &self.root6, key, cidr) {
                Some(n) if n.peer.load(Relaxed) == peer_ptr => n.links.next.load(Relaxed),
                _ => first,
            },
        };
        // SAFETY: read from the trie or a peer list under the writer lock.
        while let Some(e) = unsafe { deref_tagged::<P>(t, &w) } {
            let (prefix, at) = match &e {
                Entry::V4(n) => (
                    Prefix::V4(n.key.to_be_bytes(), n.cidr),
                    Cursor::V4(n.key, n.cidr),
                ),
                Entry::V6(n) => (
                    Prefix::V6(n.key.to_be_bytes(), n.cidr),
                    Cursor::V6(n.key, n.cidr),
                ),
            };
            if !emit(prefix) {
                return;
            }
            *cursor = at;
            t = e.links().next.load(Relaxed);
        }
        *cursor = Cursor::Done;
    }

    /// The node exactly for `key/cidr`, if any.
    fn find_exact<'w, K: Key>(
        &self,
        w: &'w Writer<'_, P>,
        root: &AtomicPtr<Node<K, P>>,
        key: K,
        cidr: u8,
    ) -> Option<&'w Node<K, P>> {
        let key = key.masked(cidr);
        // SAFETY: read from the trie or a peer list under the writer lock.
        let mut node = unsafe { deref(root.load(Relaxed), w) };
        while let Some(n) = node {
            if n.cidr > cidr || key.common_bits(n.key) < n.cidr {
                return None;
            }
            if n.cidr == cidr {
                return Some(n);
            }
            // SAFETY: read from the trie or a peer list under the writer lock.
            node = unsafe { deref(n.child[key.bit(n.cidr)].load(Relaxed), w) };
        }
        None
    }

    fn new_node<K: Key>(&self, key: K, cidr: u8, peer: *mut P) -> Result<NonNull<Node<K, P>>> {
        let node = Node::<K, ()> {
            links: Links {
                prev: AtomicUsize::new(0),
                next: AtomicUsize::new(0),
            },
            key,
            cidr,
            stale: AtomicBool::new(false),
            peer: AtomicPtr::new(peer.cast()),
            child: [AtomicPtr::new(null_mut()), AtomicPtr::new(null_mut())],
        };
        let p = K::cache(&self.caches).alloc(node)?;
        self.node_count::<K>().fetch_add(1, Relaxed);
        // `Node<K, ()>` and `Node<K, P>` have the same layout (`repr(C)`, the
        // peer is only behind a pointer).
        Ok(p.cast())
    }

    /// Adds `node` at the tail of its peer's list.
    fn list_add<K: Key>(&self, w: &Writer<'_, P>, node: &Node<K, P>, peer: &P) {
        let head = &peer.allowedips_list().first;
        let me = node.tagged();
        node.links.next.store(0, Relaxed);
        // Tail insertion keeps insertion order; the list has no tail pointer
        // (it would cost every peer 8 bytes), so find the tail via `prev` of
        // the head, which the head node keeps pointing at the tail.
        // SAFETY: read from the trie or a peer list under the writer lock.
        if let Some(first) = unsafe { deref_tagged::<P>(head.load(Relaxed), w) } {
            let last = first.links().prev.load(Relaxed);
            // SAFETY: read from the trie or a peer list under the writer lock.
            if let Some(l) = unsafe { deref_tagged::<P>(last, w) } {
                l.links().next.store(me, Relaxed);
            }
            first.links().prev.store(me, Relaxed);
            node.links.prev.store(last, Relaxed);
        } else {
            head.store(me, Relaxed);
            node.links.prev.store(me, Relaxed);
        }
    }

    /// Takes `node` out of its peer's list.
    fn list_del<K: Key>(&self, w: &Writer<'_, P>, node: &Node<K, P>) {
        // SAFETY: a node's peer field, read under the writer lock.
        let Some(peer) = (unsafe { deref_peer(node.peer.load(Relaxed), w) }) else {
            return;
        };
        let head = &peer.allowedips_list().first;
        let me = node.tagged();
        let prev = node.links.prev.load(Relaxed);
        let next = node.links.next.load(Relaxed);
        let first = head.load(Relaxed);
        if first == me {
            // New first node (or empty list); it inherits the tail pointer.
            head.store(next, Relaxed);
            // SAFETY: read from the trie or a peer list under the writer lock.
            if let Some(n) = unsafe { deref_tagged::<P>(next, w) } {
                n.links()
                    .prev
                    .store(if prev == me { next } else { prev }, Relaxed);
            }
        } else {
            // SAFETY: read from the trie or a peer list under the writer lock.
            if let Some(p) = unsafe { deref_tagged::<P>(prev, w) } {
                p.links().next.store(next, Relaxed);
            }
            // SAFETY: read from the trie or a peer list under the writer lock.
            match unsafe { deref_tagged::<P>(next, w) } {
                Some(n) => n.links().prev.store(prev, Relaxed),
                // We were the tail: the first node's tail pointer moves back.
                None => {
                    // SAFETY: read from the trie or a peer list under the writer lock.
                    if let Some(f) = unsafe { deref_tagged::<P>(first, w) } {
                        f.links().prev.store(prev, Relaxed);
                    }
                }
            }
        }
        node.links.prev.store(0, Relaxed);
        node.links.next.store(0, Relaxed);
    }

    fn insert<K: Key>(
        &self,
        w: &Writer<'_, P>,
        root: &AtomicPtr<Node<K, P>>,
        key: K,
        cidr: u8,
        peer: &P,
    ) -> Result {
        if cidr > K::BITS {
            return Err(EINVAL);
        }
        let key = key.masked(cidr);
        let peer_ptr = core::ptr::from_ref(peer).cast_mut();

        // Walk down while nodes are prefixes of ours; `slot` ends at the
        // pointer below the deepest such node (or the root) towards `key`.
        let mut slot = root;
        // SAFETY: read from the trie or a peer list under the writer lock.
        while let Some(n) = unsafe { deref(slot.load(Relaxed), w) } {
            if n.cidr > cidr || key.common_bits(n.key) < n.cidr {
                break;
            }
            if n.cidr == cidr {
                // The prefix exists: it moves to `peer` and, as in the C
                // driver, to the tail of its list even if it was `peer`'s
                // already (so after a replace, the list is in the new
                // order). Only the list moves; lookups see no change.
                n.stale.store(false, Relaxed);
                self.list_del(w, n);
                n.peer.store(peer_ptr, Release);
                self.list_add(w, n, peer);
                return Ok(());
            }
            slot = &n.child[key.bit(n.cidr)];
        }

        let new = self.new_node(key, cidr, peer_ptr)?;
        let new_ptr = new.as_ptr();
        // SAFETY: a node the writer just allocated and has not retired.
        let Some(newn) = (unsafe { deref(new_ptr, w) }) else {
            return Err(ENOMEM);
        };
        let down_ptr = slot.load(Relaxed);
        // SAFETY: read from the trie or a peer list under the writer lock.
        let Some(down) = (unsafe { deref(down_ptr, w) }) else {
            // Empty slot: hang the new node there.
            self.list_add(w, newn, peer);
            // INVARIANT: a live node from this family's cache is published.
            slot.store(new_ptr, Release);
            return Ok(());
        };
        let common = cidr.min(key.common_bits(down.key));
        if common == cidr {
            // Our prefix covers `down`: insert above it.
            newn.child[down.key.bit(cidr)].store(down_ptr, Relaxed);
            self.list_add(w, newn, peer);
            // INVARIANT: a live node, whose child is the live `down`, is
            // published in `down`'s place.
            slot.store(new_ptr, Release);
            return Ok(());
        }
        // The prefixes diverge at bit `common`: a branching node holds both.
        let branch = match self.new_node(key.masked(common), common, null_mut()) {
            Ok(b) => b,
            Err(e) => {
                // SAFETY: `new` was never published.
                unsafe { K::cache(&self.caches).free_now(new.cast()) };
                self.node_count::<K>().fetch_sub(1, Relaxed);
                return Err(e);
            }
        };
        // SAFETY: a node the writer just allocated and has not retired.
        let Some(br) = (unsafe { deref(branch.as_ptr(), w) }) else {
            return Err(ENOMEM);
        };
        br.child[down.key.bit(common)].store(down_ptr, Relaxed);
        br.child[key.bit(common)].store(new_ptr, Relaxed);
        self.list_add(w, newn, peer);
        // INVARIANT: a live branching node, whose children are the live
        // `down` and `new`, is published in `down`'s place.
        slot.store(branch.as_ptr(), Release);
        Ok(())
    }

    fn remove<K: Key>(
        &self,
        w: &Writer<'_, P>,
        root: &AtomicPtr<Node<K, P>>,
        key: K,
        cidr: u8,
        peer: &P,
    ) -> Result {
        if cidr > K::BITS {
            return Err(EINVAL);
        }
        let peer_ptr = core::ptr::from_ref(peer).cast_mut();
        self.remove_exact(w, root, key.masked(cidr), cidr, Some(peer_ptr));
        Ok(())
    }

    /// Removes the prefix `key/cidr` (`key` masked), if present and, with
    /// `owner`, owned by that peer; splices out nodes that no longer branch.
    fn remove_exact<K: Key>(
        &self,
        w: &Writer<'_, P>,
        root: &AtomicPtr<Node<K, P>>,
        key: K,
        cidr: u8,
        owner: Option<*mut P>,
    ) {
        // Find the node and the two slots above it.
        let mut gslot: Option<&AtomicPtr<Node<K, P>>> = None;
        let mut pslot = root;
        let mut parent: Option<&Node<K, P>> = None;
        // SAFETY: read from the trie or a peer list under the writer lock.
        let mut node = unsafe { deref(root.load(Relaxed), w) };
        while let Some(n) = node {
            if n.cidr == cidr && n.key == key {
                break;
            }
            if n.cidr >= cidr || key.common_bits(n.key) < n.cidr {
                return;
            }
            gslot = Some(pslot);
            parent = Some(n);
            pslot = &n.child[key.bit(n.cidr)];
            // SAFETY: read from the trie or a peer list under the writer lock.
            node = unsafe { deref(pslot.load(Relaxed), w) };
        }
        let Some(n) = node else {
            return;
        };
        // A branching node (no peer) or another peer's prefix stays.
        let peer = n.peer.load(Relaxed);
        if peer.is_null() || owner.is_some_and(|o| o != peer) {
            return;
        }
        let me = core::ptr::from_ref(n).cast_mut();
        self.list_del(w, n);
        n.peer.store(null_mut(), Release);
        let c0 = n.child[0].load(Relaxed);
        let c1 = n.child[1].load(Relaxed);
        if !c0.is_null() && !c1.is_null() {
            // Still needed to branch: it stays, without a peer.
            return;
        }
        let only = if c0.is_null() { c1 } else { c0 };
        pslot.store(only, Release);
        // SAFETY: `me` is a node of this trie, unlinked just above under the
        // writer lock (and off its peer list); it is retired once, here.
        unsafe { self.retire(me) };
        // A branching parent left with one child is spliced out too.
        if let (Some(p), Some(gs), true) = (parent, gslot, only.is_null()) {
            if p.peer.load(Relaxed).is_null() {
                let other = if core::ptr::eq(pslot, &p.child[0]) {
                    &p.child[1]
                } else {
                    &p.child[0]
                };
                gs.store(other.load(Relaxed), Release);
                // SAFETY: `p`, a branching node of this trie (on no peer
                // list), was unlinked just above under the writer lock; it is
                // retired once, here.
                unsafe { self.retire(core::ptr::from_ref(p).cast_mut()) };
            }
        }
    }

    /// Frees an unlinked node after a grace period.
    ///
    /// # Safety
    ///
    /// `node` is null or a node of this trie (from this family's cache),
    /// unlinked from the trie and off its peer list under the writer lock,
    /// and not retired before.
    unsafe fn retire<K: Key>(&self, node: *mut Node<K, P>) {
        let Some(n) = NonNull::new(node) else {
            return;
        };
        // The list links are dead (the node left its list) and readers never
        // read them, so `prev` and `next` (16 bytes, 8-aligned) hold the free
        // head. The node is unlinked, so new readers cannot reach it.
        // SAFETY: see above; the node came from this family's cache.
        unsafe {
            let head = core::ptr::addr_of_mut!((*node).links).cast();
            K::cache(&self.caches).free_after_rcu(n.cast(), head);
        }
        self.node_count::<K>().fetch_sub(1, Relaxed);
    }

    /// The node counter of family `K` (changed only under the writer lock).
    fn node_count<K: Key>(&self) -> &AtomicUsize {
        if K::BITS == 32 {
            &self.nodes4
        } else {
            &self.nodes6
        }
    }

    /// Removes everything (the device is going away).
    pub(crate) fn clear(&self) {
        let w = self.writer();
        // SAFETY: each root was swapped out of the trie under the writer
        // lock, so the subtrees are detached and freed once, here.
        unsafe {
            self.free_subtree(&w, self.root4.swap(null_mut(), Release));
            self.free_subtree(&w, self.root6.swap(null_mut(), Release));
        }
    }

    /// Retires every node under `root`.
    ///
    /// # Safety
    ///
    /// `root` is null or the root of a subtree of this trie that was just
    /// detached under the writer lock `w` and is not freed otherwise.
    unsafe fn free_subtree<K: Key>(&self, w: &Writer<'_, P>, root: *mut Node<K, P>) {
        // Depth-first with an explicit stack: each step pops one node and
        // pushes at most two, so the stack never holds more than the trie's
        // depth plus one (at most 130) entries.
        let mut stack = [null_mut::<Node<K, P>>(); 130];
        let mut len = 0;
        if !root.is_null() {
            stack[0] = root;
            len = 1;
        }
        while len > 0 {
            len -= 1;
            let p = stack[len];
            // SAFETY: read from the trie or a peer list under the writer lock.
            let Some(n) = (unsafe { deref(p, w) }) else {
                continue;
            };
            for c in &n.child {
                let c = c.swap(null_mut(), Relaxed);
                if !c.is_null() && len < stack.len() {
                    stack[len] = c;
                    len += 1;
                }
            }
            self.list_del(w, n);
            // SAFETY: `p` is a node of the detached subtree (by the
            // contract), now off its list; each is popped, so retired, once.
            unsafe { self.retire(p) };
        }
    }
}

/// Follows a node's peer pointer.
///
/// # Safety
///
/// `p` must be null or have been read from the `peer` field of a node of
/// the table that `w` guards, while `w` was held.
unsafe fn deref_peer<'a, P>(p: *mut P, _w: &'a impl Proof) -> Option<&'a P> {
    // SAFETY: peers in the table are alive while they are in it (the
    // `AllowedIpsPeer` contract: they leave before being freed), and `w`
    // keeps the table from changing for `'a`.
    unsafe { p.as_ref() }
}

#[pinned_drop]
impl<P: AllowedIpsPeer> PinnedDrop for AllowedIps<P> {
    fn drop(self: Pin<&mut Self>) {
        self.clear();
    }
}

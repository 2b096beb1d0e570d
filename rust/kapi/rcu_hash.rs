// SPDX-License-Identifier: GPL-2.0

//! A hash table with lock-free RCU lookups, the Rust form of the C
//! driver's `hlist_*_rcu` tables: a fixed power-of-two array of singly
//! linked buckets. The caller supplies the hash. Writers are serialised by
//! an internal spinlock; nodes are allocated before the lock is taken and
//! freed with `call_rcu`, so a reader that found a node may clone its value
//! until its read-side section ends.
//!
//! Values are cloned out (typically an `Arc`, whose count the node's own
//! reference keeps above zero while a reader holds it), so no reference into
//! the table escapes. Values are dropped in an RCU callback (softirq), so
//! their drop must not sleep.
//!
//! # Invariants
//!
//! Every non-null pointer in a bucket or a `next` field points to a live
//! `Node` made by `KBox`; a node is freed only after it was unlinked under
//! the lock, through `call_rcu`, or when the table itself is dropped (no
//! reader can hold `&self` then).

use super::bindings as b;
use super::rcu::ReadGuard;
use super::sync::{
    new_spinlock_bh,
    SpinLockBh, //
};
use core::{
    ptr::null_mut,
    sync::atomic::{
        AtomicPtr, AtomicUsize,
        Ordering::{
            Acquire,
            Relaxed,
            Release, //
        },
    },
};
use kernel::prelude::*;

#[repr(C)]
struct Node<K, V> {
    /// First, so the RCU callback finds the node from the head.
    rcu: b::callback_head,
    next: AtomicPtr<Node<K, V>>,
    key: K,
    value: V,
}

/// The table.
#[pin_data(PinnedDrop)]
pub(crate) struct RcuHashMap<K, V> {
    buckets: KVec<AtomicPtr<Node<K, V>>>,
    len: AtomicUsize,
    #[pin]
    lock: SpinLockBh<()>,
}

// SAFETY: keys and values are shared with readers on other threads.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for RcuHashMap<K, V> {}
// SAFETY: as above; all mutation is under the lock or atomic.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for RcuHashMap<K, V> {}

impl<K: Eq + Copy + Send + Sync, V: Clone + Send + Sync> RcuHashMap<K, V> {
    /// An empty table with `1 << bits` buckets.
    pub(crate) fn new(bits: u32) -> impl PinInit<Self, Error> {
        let n = 1usize << bits.min(20);
        let buckets = (|| -> Result<KVec<AtomicPtr<Node<K, V>>>> {
            let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
            for _ in 0..n {
                v.push(AtomicPtr::new(null_mut()), GFP_KERNEL)?;
            }
            Ok(v)
        })();
        try_pin_init!(Self {
            buckets: buckets?,
            len: AtomicUsize::new(0),
            lock <- new_spinlock_bh!((), "wireguard_rs_rcu_hash"),
        }? Error)
    }

    fn bucket(&self, hash: usize) -> &AtomicPtr<Node<K, V>> {
        &self.buckets[hash & (self.buckets.len() - 1)]
    }

    /// Follows a node pointer read from this table.
    ///
    /// # Safety
    ///
    /// `p` must be null or a pointer read from one of this table's buckets
    /// or `next` fields while the caller held, and holds for all of `'a`,
    /// an RCU read guard or the table's lock.
    unsafe fn node<'a>(p: *mut Node<K, V>) -> Option<&'a Node<K, V>> {
        // SAFETY: by the type invariant such a pointer is live when read,
        // and the caller's guard or lock keeps it from being freed for `'a`.
        unsafe { p.as_ref() }
    }

    /// A node to link in (allocated before the lock is taken).
    fn new_node(key: K, value: V, flags: kernel::alloc::Flags) -> Result<KBox<Node<K, V>>> {
        Ok(KBox::new(
            Node {
                rcu: pin_init::zeroed(),
                next: AtomicPtr::new(null_mut()),
                key,
                value,
            },
            flags,
        )?)
    }

    /// Entries in the table.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// The value for `key` whose value `accept`s, cloned, found without
    /// taking the lock.
    pub(crate) fn get(&self, hash: usize, key: &K, accept: impl Fn(&V) -> bool) -> Option<V> {
        let _g = ReadGuard::new();
        let mut p = self.bucket(hash).load(Acquire);
        // SAFETY: `p` comes from the table under the read guard, held until
        // the end of the function (and so for every `n`).
        while let Some(n) = unsafe { Self::node(p) } {
            if n.key == *key && accept(&n.value) {
                return Some(n.value.clone());
            }
            p = n.next.load(Acquire);
        }
        None
    }

    /// Whether `key` is present (without the lock).
    pub(crate) fn contains(&self, hash: usize, key: &K) -> bool {
        let _g = ReadGuard::new();
        let mut p = self.bucket(hash).load(Acquire);
        // SAFETY: `p` comes from the table under the read guard, held until
        // the end of the function.
        while let Some(n) = unsafe { Self::node(p) } {
            if n.key == *key {
                return true;
            }
            p = n.next.load(Acquire);
        }
        false
    }

    /// Inserts `key -> value` unless `key` is present; gives `value` back
    /// if it was. The node is allocated with `flags` (`GFP_ATOMIC` where
    /// the caller may not sleep).
    pub(crate) fn insert_unique(
        &self,
        hash: usize,
        key: K,
        value: V,
        flags: kernel::alloc::Flags,
    ) -> Result<core::result::Result<(), V>> {
        let node = Self::new_node(key, value, flags)?;
        let guard = self.lock.lock();
        let bucket = self.bucket(hash);
        let mut p = bucket.load(Relaxed);
        // SAFETY: `p` comes from the table under its lock, held while `n` is
        // used (it is dropped only on the way out).
        while let Some(n) = unsafe { Self::node(p) } {
            if n.key == key {
                drop(guard);
                return Ok(Err(KBox::into_inner(node).value));
            }
            p = n.next.load(Relaxed);
        }
        node.next.store(bucket.load(Relaxed), Relaxed);
        // INVARIANT: a live `KBox` node is published.
        bucket.store(KBox::into_raw(node), Release);
        self.len.fetch_add(1, Relaxed);
        Ok(Ok(()))
    }

    /// Replaces the value of `key`, if present, with `value`; readers see
    /// either the old or the new entry. Returns whether `key` was present.
    /// Does not sleep (it may run inside an RCU read-side section).
    pub(crate) fn replace(&self, hash: usize, key: K, value: V) -> Result<bool> {
        let node = Self::new_node(key, value, GFP_ATOMIC)?;
        let guard = self.lock.lock();
        let mut slot = self.bucket(hash);
        // SAFETY: read from the table under its lock, held while `n` is used.
        while let Some(n) = unsafe { Self::node(slot.load(Relaxed)) } {
            if n.key == key {
                node.next.store(n.next.load(Relaxed), Relaxed);
                // INVARIANT: a live `KBox` node replaces the old one, which
                // is freed only after a grace period.
                let old = slot.swap(KBox::into_raw(node), Release);
                drop(guard);
                // SAFETY: `old` was this table's live node and was just
                // unlinked under the lock; it is retired once, here.
                unsafe { Self::retire(old) };
                return Ok(true);
            }
            slot = &n.next;
        }
        Ok(false)
    }

    /// Removes `key` if its value `accept`s; returns whether it did.
    pub(crate) fn remove(&self, hash: usize, key: &K, accept: impl Fn(&V) -> bool) -> bool {
        let guard = self.lock.lock();
        let mut slot = self.bucket(hash);
        // SAFETY: read from the table under its lock, held while `n` is used.
        while let Some(n) = unsafe { Self::node(slot.load(Relaxed)) } {
            if n.key == *key && accept(&n.value) {
                let old = slot.load(Relaxed);
                slot.store(n.next.load(Relaxed), Release);
                self.len.fetch_sub(1, Relaxed);
                drop(guard);
                // SAFETY: `old` was this table's live node and was just
                // unlinked under the lock; it is retired once, here.
                unsafe { Self::retire(old) };
                return true;
            }
            slot = &n.next;
        }
        false
    }

    /// Frees an unlinked node after a grace period.
    ///
    /// # Safety
    ///
    /// `node` is a node of this table (made by `new_node`), unlinked under
    /// the table's lock, and not retired before.
    unsafe fn retire(node: *mut Node<K, V>) {
        // SAFETY: by the contract, no new reader finds the node; `rcu` is its
        // first field and unused until now; the callback frees it once
        // current readers are done.
        unsafe { b::call_rcu(node.cast(), Some(free_node::<K, V>)) };
    }
}

/// # Safety
///
/// Called by RCU with the head of a node retired by `retire`.
unsafe extern "C" fn free_node<K, V>(head: *mut b::callback_head) {
    // SAFETY: the head is the first field of a `KBox`-allocated node that
    // nobody can reach any more.
    drop(unsafe { KBox::from_raw(head.cast::<Node<K, V>>()) });
}

#[pinned_drop]
impl<K, V> PinnedDrop for RcuHashMap<K, V> {
    fn drop(self: Pin<&mut Self>) {
        for bucket in self.buckets.iter() {
            let mut p = bucket.swap(null_mut(), Relaxed);
            while !p.is_null() {
                // SAFETY: the table is being dropped, so nobody holds `&self`
                // and no reader can be looking at its nodes; each node is
                // freed exactly once.
                let n = unsafe { KBox::from_raw(p) };
                p = n.next.load(Relaxed);
            }
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The device's lookup tables (the C driver's `peerlookup.c`):
//!
//! - the public-key table, finding the peer an initiation comes from by
//!   its static key, hashed with SipHash under a key chosen at creation so
//!   remote parties cannot aim at one bucket;
//! - the index table, handing out the random 32-bit receiver indices that
//!   identify handshakes and sessions in every message, and finding them
//!   again for each received packet.
//!
//! Both have lock-free RCU lookups and serialised updates, like the C
//! driver's; values are cloned out (an `Arc` of the peer or keypair).

use crate::kapi::crypto::{
    random_u32,
    SipKey, //
};
use crate::kapi::rcu_hash::RcuHashMap;
use crate::messages::NOISE_PUBLIC_KEY_LEN;
use kernel::prelude::*;

/// Buckets of the public-key table (as in the C driver: 2^11).
const PUBKEY_BITS: u32 = 11;
/// Buckets of the index table (as in the C driver: 2^13).
const INDEX_BITS: u32 = 13;

/// Peers by static public key.
#[pin_data]
pub(crate) struct PubkeyTable<V> {
    key: SipKey,
    #[pin]
    map: RcuHashMap<[u8; NOISE_PUBLIC_KEY_LEN], V>,
}

impl<V: Clone + Send + Sync> PubkeyTable<V> {
    /// An empty table with a fresh hash key.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            key: SipKey::random(),
            map <- RcuHashMap::new(PUBKEY_BITS),
        }? Error)
    }

    fn hash(&self, pubkey: &[u8; NOISE_PUBLIC_KEY_LEN]) -> usize {
        self.key.hash32(pubkey) as usize
    }

    /// Adds a peer; `Ok(false)` (and nothing changes) if the key is taken.
    pub(crate) fn add(&self, pubkey: &[u8; NOISE_PUBLIC_KEY_LEN], peer: V) -> Result<bool> {
        Ok(self
            .map
            .insert_unique(self.hash(pubkey), *pubkey, peer, GFP_KERNEL)?
            .is_ok())
    }

    /// Removes the peer with `pubkey`; returns whether there was one.
    pub(crate) fn remove(&self, pubkey: &[u8; NOISE_PUBLIC_KEY_LEN]) -> bool {
        self.map.remove(self.hash(pubkey), pubkey, |_| true)
    }

    /// The peer with `pubkey`.
    pub(crate) fn lookup(&self, pubkey: &[u8; NOISE_PUBLIC_KEY_LEN]) -> Option<V> {
        self.map.get(self.hash(pubkey), pubkey, |_| true)
    }

    /// Peers in the table.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// Handshakes and sessions by receiver index.
#[pin_data]
pub(crate) struct IndexTable<V> {
    #[pin]
    map: RcuHashMap<u32, V>,
}

impl<V: Clone + Send + Sync> IndexTable<V> {
    /// An empty table.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            map <- RcuHashMap::new(INDEX_BITS),
        }? Error)
    }

    /// Stores `value` under a fresh random index, which it returns.
    pub(crate) fn insert(&self, value: V) -> Result<u32> {
        self.insert_with(value, random_u32)
    }

    /// As [`IndexTable::insert`], drawing candidate indices from `next`.
    /// Like the C driver, a candidate is first checked without the lock and
    /// then claimed under it; a taken index means drawing another.
    pub(crate) fn insert_with(&self, mut value: V, mut next: impl FnMut() -> u32) -> Result<u32> {
        loop {
            let index = self.unused_from(&mut next);
            // Indices are random, so the index is its own hash.
            match self.map.insert_unique(index as usize, index, value, GFP_KERNEL)? {
                Ok(()) => return Ok(index),
                Err(v) => value = v,
            }
        }
    }

    /// The first candidate from `next` not in use now (checked without the
    /// lock).
    fn unused_from(&self, next: &mut impl FnMut() -> u32) -> u32 {
        loop {
            let index = next();
            if !self.map.contains(index as usize, &index) {
                return index;
            }
        }
    }

    /// A random index not in use now. Nothing reserves it: a caller that
    /// hands it out before storing anything under it (the responder, whose
    /// session is ready only after its response is built) stores with
    /// [`IndexTable::insert_at`], which fails if the index was taken
    /// meanwhile.
    pub(crate) fn unused_index(&self) -> u32 {
        self.unused_from(&mut random_u32)
    }

    /// Stores `value` under `index`; `false` (and nothing changes) if the
    /// index is taken. Does not sleep (it may run inside an RCU read-side
    /// section).
    pub(crate) fn insert_at(&self, index: u32, value: V) -> Result<bool> {
        Ok(self
            .map
            .insert_unique(index as usize, index, value, GFP_ATOMIC)?
            .is_ok())
    }

    /// Points `index` at `value` instead (a handshake becoming a session
    /// keeps its index); `false` if `index` is not in the table.
    pub(crate) fn replace(&self, index: u32, value: V) -> Result<bool> {
        self.map.replace(index as usize, index, value)
    }

    /// Frees `index`; returns whether it was in use.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn remove(&self, index: u32) -> bool {
        self.map.remove(index as usize, &index, |_| true)
    }

    /// Frees `index` if its value `accept`s; returns whether it did.
    pub(crate) fn remove_if(&self, index: u32, accept: impl Fn(&V) -> bool) -> bool {
        self.map.remove(index as usize, &index, accept)
    }

    /// The value at `index`, if `accept`ed (e.g. only sessions, only
    /// handshakes: the C driver's type mask).
    pub(crate) fn lookup(&self, index: u32, accept: impl Fn(&V) -> bool) -> Option<V> {
        self.map.get(index as usize, &index, accept)
    }

    /// Indices in use.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

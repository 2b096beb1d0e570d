// SPDX-License-Identifier: GPL-2.0

//! Per-source rate limiting of handshake messages under load (the C
//! driver's `ratelimiter.c`): a token bucket per (network namespace, source
//! address), IPv6 sources counted per /64, 20 packets a second with a burst
//! of 5. Entries idle for a second are garbage-collected; the table is sized
//! from the machine's memory and bounded, and a full table refuses new
//! sources rather than growing.

use crate::kapi::crypto::HsipKey;
use kernel::{
    new_spinlock,
    prelude::*,
    sync::SpinLock, //
};

const NSEC_PER_SEC: u64 = 1_000_000_000;
/// Packets per second allowed per source.
pub(crate) const PACKETS_PER_SECOND: u64 = 20;
/// Packets allowed in a burst.
pub(crate) const PACKETS_BURSTABLE: u64 = 5;
/// Tokens (nanoseconds) one packet costs.
pub(crate) const PACKET_COST: u64 = NSEC_PER_SEC / PACKETS_PER_SECOND;
/// Most tokens an entry holds.
pub(crate) const TOKEN_MAX: u64 = PACKET_COST * PACKETS_BURSTABLE;

/// A source address, as the rate limiter sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SourceIp {
    /// An IPv4 address, network order.
    V4([u8; 4]),
    /// An IPv6 address, network order; only its /64 counts.
    V6([u8; 16]),
}

#[derive(Clone, Copy)]
struct Entry {
    net: usize,
    ip: u64,
    last_time_ns: u64,
    tokens: u64,
}

struct Table {
    v4: KVec<KVec<Entry>>,
    v6: KVec<KVec<Entry>>,
    entries: usize,
}

/// The rate limiter.
#[pin_data]
pub(crate) struct Ratelimiter {
    key: HsipKey,
    buckets: usize,
    max_entries: usize,
    #[pin]
    table: SpinLock<Table>,
}

impl Ratelimiter {
    /// The C driver's sizing: 8192 buckets per family with more than 1 GiB
    /// of RAM, else one per 16 KiB of RAM rounded up to a power of two (at
    /// least 16); at most 8 entries per bucket in all.
    pub(crate) fn buckets_for_ram(ram_bytes: u64) -> usize {
        if ram_bytes > 1 << 30 {
            8192
        } else {
            let n = (ram_bytes / (1 << 14) / 8).max(16);
            n.next_power_of_two() as usize
        }
    }

    /// A limiter with `buckets` buckets per family (a power of two).
    pub(crate) fn new(buckets: usize) -> Result<Pin<KBox<Self>>> {
        let buckets = buckets.max(1).next_power_of_two();
        let mut v4 = KVec::with_capacity(buckets, GFP_KERNEL)?;
        let mut v6 = KVec::with_capacity(buckets, GFP_KERNEL)?;
        for _ in 0..buckets {
            v4.push(KVec::new(), GFP_KERNEL)?;
            v6.push(KVec::new(), GFP_KERNEL)?;
        }
        let table = Table { v4, v6, entries: 0 };
        let max_entries = buckets * 8;
        KBox::pin_init(
            pin_init!(Self {
                key: HsipKey::random(),
                buckets,
                max_entries,
                table <- new_spinlock!(table, "wireguard_rs_ratelimiter"),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether a packet from `ip` in namespace `net` (any value that tells
    /// namespaces apart) at boot time `now_ns` is within its rate.
    pub(crate) fn allow(&self, net: usize, ip: SourceIp, now_ns: u64) -> bool {
        // Hash only the low half of the namespace identity, like the C driver.
        let net_word = net as u32;
        let (v6, ip, hash) = match ip {
            SourceIp::V4(a) => {
                let ip = u32::from_ne_bytes(a);
                (false, u64::from(ip), self.key.hash2(net_word, ip))
            }
            SourceIp::V6(a) => {
                let mut half = [0u8; 8];
                half.copy_from_slice(&a[..8]);
                let ip = u64::from_ne_bytes(half);
                (
                    true,
                    ip,
                    self.key.hash3(net_word, (ip >> 32) as u32, ip as u32),
                )
            }
        };
        let index = hash as usize & (self.buckets - 1);
        let mut table = self.table.lock();
        let table = &mut *table;
        let bucket = if v6 {
            &mut table.v6[index]
        } else {
            &mut table.v4[index]
        };
        if let Some(e) = bucket.iter_mut().find(|e| e.net == net && e.ip == ip) {
            let tokens =
                TOKEN_MAX.min(e.tokens.saturating_add(now_ns.wrapping_sub(e.last_time_ns)));
            e.last_time_ns = now_ns;
            let ok = tokens >= PACKET_COST;
            e.tokens = if ok { tokens - PACKET_COST } else { tokens };
            return ok;
        }
        if table.entries >= self.max_entries {
            return false;
        }
        let entry = Entry {
            net,
            ip,
            last_time_ns: now_ns,
            tokens: TOKEN_MAX - PACKET_COST,
        };
        if bucket.push(entry, GFP_ATOMIC).is_err() {
            return false;
        }
        table.entries += 1;
        true
    }

    /// Drops entries idle for over a second at `now_ns` (all of them if
    /// `all`); returns how many remain.
    pub(crate) fn gc(&self, now_ns: u64, all: bool) -> usize {
        let mut table = self.table.lock();
        let table = &mut *table;
        let mut removed = 0;
        for bucket in Iterator::chain(table.v4.iter_mut(), table.v6.iter_mut()) {
            let before = bucket.len();
            bucket.retain(|e| !all && now_ns.wrapping_sub(e.last_time_ns) <= NSEC_PER_SEC);
            removed += before - bucket.len();
        }
        table.entries -= removed;
        table.entries
    }

    /// Entries in the table.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn len(&self) -> usize {
        self.table.lock().entries
    }

    /// Most entries the table holds.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn capacity(&self) -> usize {
        self.max_entries
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The public-key and index tables: uniqueness of handed-out indices (also
//! when candidates collide), lookups after replace and removal, and RCU
//! readers during updates.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_peerlookup)]
mod tests {
    use crate::kapi::crypto::random_bytes;
    use crate::peerlookup::{
        IndexTable,
        PubkeyTable, //
    };
    use crate::selftest::allowedips::support::{
        update_while_reading,
        Rng, //
    };
    use core::sync::atomic::{
        AtomicBool,
        AtomicU64,
        Ordering, //
    };
    use kernel::prelude::*;
    use kernel::sync::{
        Arc,
        Completion, //
    };

    /// A value as the driver will store: a handshake or a session of a peer.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Entry {
        Handshake(u32),
        Session(u32),
    }

    #[test]
    fn indices_are_unique_and_found() -> Result {
        let t = KBox::pin_init(IndexTable::new(), GFP_KERNEL)?;
        let mut idx = KVec::new();
        for i in 0..20_000u32 {
            idx.push(t.insert(Entry::Handshake(i))?, GFP_KERNEL)?;
        }
        assert_eq!(t.len(), 20_000);
        // Each index finds its own value, so no index was handed out twice.
        for (i, &x) in idx.iter().enumerate() {
            assert_eq!(t.lookup(x, |_| true), Some(Entry::Handshake(i as u32)));
        }
        // A handshake becoming a session keeps its index.
        for (i, &x) in idx.iter().enumerate().take(1000) {
            assert!(t.replace(x, Entry::Session(i as u32))?);
        }
        assert_eq!(t.lookup(idx[5], |_| true), Some(Entry::Session(5)));
        // The type mask: only sessions, only handshakes.
        assert_eq!(t.lookup(idx[5], |e| matches!(e, Entry::Handshake(_))), None);
        assert_eq!(
            t.lookup(idx[1500], |e| matches!(e, Entry::Session(_))),
            None
        );
        assert_eq!(
            t.lookup(idx[1500], |e| matches!(e, Entry::Handshake(_))),
            Some(Entry::Handshake(1500))
        );
        // Removal.
        assert!(t.remove(idx[7]));
        assert!(!t.remove(idx[7]));
        assert_eq!(t.lookup(idx[7], |_| true), None);
        assert!(!t.replace(idx[7], Entry::Session(7))?);
        assert_eq!(t.lookup(idx[7], |_| true), None);
        assert_eq!(t.len(), 19_999);
        for &x in idx.iter() {
            t.remove(x);
        }
        assert_eq!(t.len(), 0);
        Ok(())
    }

    #[test]
    fn colliding_candidates_are_skipped() -> Result {
        let t = KBox::pin_init(IndexTable::new(), GFP_KERNEL)?;
        assert_eq!(t.insert_with(Entry::Handshake(1), || 42)?, 42);
        // Candidates 42 (taken), 42 again, then 42 + 8192 (same bucket), 7.
        let mut c = [42u32, 42, 42 + 8192, 7].into_iter();
        let got = t.insert_with(Entry::Handshake(2), || c.next().unwrap_or(9))?;
        assert_eq!(got, 42 + 8192);
        let got = t.insert_with(Entry::Handshake(3), || c.next().unwrap_or(9))?;
        assert_eq!(got, 7);
        assert_eq!(t.lookup(42, |_| true), Some(Entry::Handshake(1)));
        assert_eq!(t.lookup(42 + 8192, |_| true), Some(Entry::Handshake(2)));
        // Removing one of two entries of a bucket leaves the other.
        assert!(t.remove(42));
        assert_eq!(t.lookup(42 + 8192, |_| true), Some(Entry::Handshake(2)));
        Ok(())
    }

    #[test]
    fn public_keys() -> Result {
        let t = KBox::pin_init(PubkeyTable::new(), GFP_KERNEL)?;
        let mut keys = KVec::new();
        for _ in 0..2000 {
            let mut k = [0u8; 32];
            random_bytes(&mut k);
            keys.push(k, GFP_KERNEL)?;
        }
        for (i, k) in keys.iter().enumerate() {
            assert!(t.add(k, i as u32)?);
        }
        // A key already present is refused and keeps its peer.
        assert!(!t.add(&keys[3], 9999)?);
        assert_eq!(t.len(), 2000);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.lookup(k), Some(i as u32));
        }
        let mut other = keys[0];
        other[31] ^= 1;
        assert_eq!(t.lookup(&other), None);
        assert!(t.remove(&keys[10]));
        assert!(!t.remove(&keys[10]));
        assert_eq!(t.lookup(&keys[10]), None);
        assert_eq!(t.lookup(&keys[11]), Some(11));
        Ok(())
    }

    #[pin_data]
    struct Shared {
        #[pin]
        table: IndexTable<Arc<u32>>,
        stop: AtomicBool,
        lookups: AtomicU64,
        wrong: AtomicU64,
    }

    #[test]
    fn rcu_readers_during_updates() -> Result {
        let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
        let shared = Arc::pin_init(
            try_pin_init!(Shared {
                table <- IndexTable::new(),
                stop: AtomicBool::new(false),
                lookups: AtomicU64::new(0),
                wrong: AtomicU64::new(0),
            }? Error),
            GFP_KERNEL,
        )?;
        let fixed = shared
            .table
            .insert_with(Arc::new(7u32, GFP_KERNEL)?, || 1000)?;
        let reader = shared.clone();
        let signal = done.clone();
        kernel::workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
            let mut rng = Rng(3);
            while !reader.stop.load(Ordering::Relaxed) {
                // The fixed entry is always there with its value ...
                if reader.table.lookup(fixed, |_| true).map(|v| *v) != Some(7) {
                    reader.wrong.fetch_add(1, Ordering::Relaxed);
                }
                // ... and lookups of churning indices never crash.
                let _ = reader.table.lookup(rng.below(64) as u32 + 2000, |_| true);
                reader.lookups.fetch_add(1, Ordering::Relaxed);
            }
            drop(reader);
            signal.complete_all();
        })?;
        let mut rng = Rng(5);
        let rounds = update_while_reading(&shared.lookups, 5000, 20_000, |round| {
            let i = rng.below(64) as u32 + 2000;
            let v = Arc::new(round, GFP_KERNEL)?;
            if shared.table.lookup(i, |_| true).is_some() {
                if round % 2 == 0 {
                    shared.table.replace(i, v)?;
                } else {
                    shared.table.remove(i);
                }
            } else {
                shared.table.insert_with(v, || i)?;
            }
            Ok(())
        })?;
        shared.stop.store(true, Ordering::Relaxed);
        done.wait_for_completion();
        pr_info!(
            "peerlookup: rcu test: {} concurrent lookups during {} updates\n",
            shared.lookups.load(Ordering::Relaxed),
            rounds
        );
        assert_eq!(shared.wrong.load(Ordering::Relaxed), 0);
        assert!(shared.lookups.load(Ordering::Relaxed) >= 20_000);
        Ok(())
    }
}

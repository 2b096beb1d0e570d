// SPDX-License-Identifier: GPL-2.0

//! Benchmarks: they print figures and assert only that the work succeeded.
//! Only in the `WGRS_KUNIT=bench` build, which `selftests/bench/10-kunit.sh`
//! loads.

use kernel::prelude::*;

#[kunit_tests(wgrs_bench_noise)]
mod tests {
    use crate::kapi::time::boottime_coarse_ns;
    use crate::noise::{
        generate_secret,
        Handshake,
        InitiationInProgress,
        Key,
        StaticIdentity, //
    };
    use kernel::prelude::*;

    const N: u32 = 200;

    #[test]
    fn initiations_per_second() -> Result {
        let mut a = StaticIdentity::new();
        a.set_private_key(generate_secret().bytes());
        let mut b = StaticIdentity::new();
        b.set_private_key(generate_secret().bytes());
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let mut hb = Handshake::new(&b, a.public_key(), &Key::zero());
        let mut inits = KVec::with_capacity(N as usize, GFP_KERNEL)?;
        let t0 = boottime_coarse_ns();
        for i in 0..N {
            let mut ts = [0u8; 12];
            ts[..4].copy_from_slice(&(i + 1).to_be_bytes());
            inits.push(
                ha.create_initiation(&a, generate_secret(), &ts, i)
                    .ok_or(EINVAL)?,
                GFP_KERNEL,
            )?;
        }
        let t1 = boottime_coarse_ns();
        let mut now = 1_000_000_000_000u64;
        for m in inits.iter() {
            now += 1_000_000_000;
            let st = InitiationInProgress::begin(m, &b).ok_or(EINVAL)?;
            assert!(hb.consume_initiation(st, m, now));
        }
        let t2 = boottime_coarse_ns();
        let rate = |ns: u64| (u64::from(N) * 1_000_000_000) / ns.max(1);
        pr_info!(
            "bench: noise: {} initiations created in {} us ({}/s), consumed in {} us ({}/s)\n",
            N,
            (t1 - t0) / 1000,
            rate(t1 - t0),
            (t2 - t1) / 1000,
            rate(t2 - t1)
        );
        Ok(())
    }
}

#[kunit_tests(wgrs_bench_allowedips)]
mod allowedips_bench {
    use crate::allowedips::NodeCaches;
    use crate::kapi::rcu::ReadGuard;
    use crate::kapi::time::boottime_coarse_ns;
    use crate::selftest::allowedips::support::{
        peers,
        table,
        Rng, //
    };
    use kernel::prelude::*;
    use kernel::sync::Arc;

    const V4_PREFIXES: usize = 1_000_000;
    const V6_PREFIXES: usize = 200_000;
    const PEERS: u32 = 1000;
    const LOOKUPS: usize = 1_000_000;
    /// Size of the C driver's `struct allowedips_node` (x86-64, Linux 7.3),
    /// read from its source, not measured: peer, two children, four bytes
    /// of lengths, 16 key bytes, the packed parent pointer and a list head;
    /// the same for IPv4 and IPv6. Only for an estimate; the netlink
    /// benchmark measures both drivers' slab bytes.
    const C_NODE_SIZE: usize = 72;

    /// A prefix length drawn from a mix like the Internet's IPv4 table:
    /// mostly /24, then /22, /23, /21, /20, /16 and the rest.
    fn v4_len(rng: &mut Rng) -> u8 {
        match rng.below(100) {
            0..=58 => 24,
            59..=70 => 22,
            71..=79 => 23,
            80..=85 => 21,
            86..=90 => 20,
            91..=93 => 19,
            94..=96 => 16,
            97 => 18,
            98 => 17,
            _ => 12 + rng.below(4) as u8,
        }
    }

    /// IPv6 lengths: mostly /48, then /32, /40, /44, /36, /64.
    fn v6_len(rng: &mut Rng) -> u8 {
        match rng.below(100) {
            0..=54 => 48,
            55..=69 => 32,
            70..=79 => 40,
            80..=89 => 44,
            90..=94 => 36,
            _ => 64,
        }
    }

    fn per_sec(n: usize, ns: u64) -> u64 {
        (n as u64).saturating_mul(1_000_000_000) / ns.max(1)
    }

    #[test]
    fn internet_sized_table() -> Result {
        let caches = Arc::new(NodeCaches::for_tests()?, GFP_KERNEL)?;
        let (size4, size6) = caches.node_sizes();
        let ps = peers(PEERS)?;
        let t = table(&caches)?;
        let mut rng = Rng(0x5eed_0001);

        let t0 = boottime_coarse_ns();
        for i in 0..V4_PREFIXES {
            let a = (rng.next() as u32).to_be_bytes();
            t.insert_v4(a, v4_len(&mut rng), &ps[i % PEERS as usize])?;
        }
        let t1 = boottime_coarse_ns();
        for i in 0..V6_PREFIXES {
            let mut a = [0u8; 16];
            a[0] = 0x20;
            a[1..8].copy_from_slice(&rng.next().to_be_bytes()[..7]);
            t.insert_v6(a, v6_len(&mut rng), &ps[i % PEERS as usize])?;
        }
        let t2 = boottime_coarse_ns();
        let s = t.stats();
        let ours = s.nodes4 * size4 + s.nodes6 * size6;
        let c_same_shape = (s.nodes4 + s.nodes6) * C_NODE_SIZE;
        let prefixes = V4_PREFIXES + V6_PREFIXES;
        pr_info!(
            "bench: allowedips: inserted {} IPv4 prefixes in {} ms ({}/s), {} IPv6 in {} ms ({}/s)\n",
            V4_PREFIXES,
            (t1 - t0) / 1_000_000,
            per_sec(V4_PREFIXES, t1 - t0),
            V6_PREFIXES,
            (t2 - t1) / 1_000_000,
            per_sec(V6_PREFIXES, t2 - t1)
        );
        pr_info!(
            "bench: allowedips: nodes {} v4 ({} B each) + {} v6 ({} B each) = {} KiB, {} bytes/prefix; an estimate, not a measurement, for the C driver's trie of the same shape at its struct size of {} B/node: {} KiB, {} bytes/prefix (estimated ratio ours/C x1000: {}; the measured slab comparison is selftests/bench/20-netlink-table.sh)\n",
            s.nodes4,
            size4,
            s.nodes6,
            size6,
            ours / 1024,
            ours / prefixes,
            C_NODE_SIZE,
            c_same_shape / 1024,
            c_same_shape / prefixes,
            ours * 1000 / c_same_shape.max(1)
        );

        // Lookups: random addresses (mostly misses with a random table) and
        // addresses inside stored prefixes (hits).
        let mut hits = 0usize;
        let t3 = boottime_coarse_ns();
        for _ in 0..LOOKUPS {
            let g = ReadGuard::new();
            hits += usize::from(t.lookup_v4(&g, (rng.next() as u32).to_be_bytes()).is_some());
        }
        let t4 = boottime_coarse_ns();
        let mut rng2 = Rng(0x5eed_0001);
        let mut hits2 = 0usize;
        for _ in 0..LOOKUPS {
            // Replays the insertion stream: every address is in the table.
            let a = (rng2.next() as u32).to_be_bytes();
            let _ = v4_len(&mut rng2);
            let g = ReadGuard::new();
            hits2 += usize::from(t.lookup_v4(&g, a).is_some());
        }
        let t5 = boottime_coarse_ns();
        pr_info!(
            "bench: allowedips: {} random IPv4 lookups: {}/s ({} hits); {} lookups of stored addresses: {}/s ({} hits)\n",
            LOOKUPS,
            per_sec(LOOKUPS, t4 - t3),
            hits,
            LOOKUPS,
            per_sec(LOOKUPS, t5 - t4),
            hits2
        );
        assert_eq!(hits2, LOOKUPS);

        let t6 = boottime_coarse_ns();
        for p in ps.iter() {
            t.remove_by_peer(p);
        }
        let t7 = boottime_coarse_ns();
        pr_info!(
            "bench: allowedips: removed all {} prefixes peer by peer in {} ms\n",
            prefixes,
            (t7 - t6) / 1_000_000
        );
        assert_eq!(t.stats().nodes4 + t.stats().nodes6, 0);
        Ok(())
    }
}

#[kunit_tests(wgrs_bench_cipher)]
mod cipher_bench {
    use crate::kapi::crypto::{
        chacha20poly1305_seal_in_place,
        AUTHTAG_LEN, //
    };
    use crate::kapi::time::boottime_coarse_ns;
    use kernel::prelude::*;

    /// The tunnel's MTU: a full inner packet.
    const PACKET: usize = 1420;
    /// How long to encrypt for (the clock is coarse: jiffies).
    const RUN_NS: u64 = 500_000_000;

    /// The speed limit the cipher sets: MTU-sized packets encrypted in
    /// place, one after another, by the kernel's ChaCha20-Poly1305 on the
    /// one CPU this test runs on (no other work is queued on it).
    #[test]
    fn chacha20poly1305_one_cpu() -> Result {
        let mut buf = KVec::with_capacity(PACKET + AUTHTAG_LEN, GFP_KERNEL)?;
        for i in 0..PACKET + AUTHTAG_LEN {
            buf.push(i as u8, GFP_KERNEL)?;
        }
        let key = [7u8; 32];
        let ad = [1u8; 16];
        let mut packets = 0u64;
        let t0 = boottime_coarse_ns();
        let mut t1 = t0;
        while t1 - t0 < RUN_NS {
            for _ in 0..64 {
                assert!(chacha20poly1305_seal_in_place(&mut buf, &ad, packets, &key));
                packets += 1;
            }
            t1 = boottime_coarse_ns();
        }
        let bytes = packets * PACKET as u64;
        // Bytes per microsecond are MB/s.
        let us = ((t1 - t0) / 1000).max(1);
        pr_info!(
            "bench: chacha20poly1305-1cpu MB/s={}.{} ({} packets of {} bytes in {} ms)\n",
            bytes / us,
            (bytes * 10 / us) % 10,
            packets,
            PACKET,
            (t1 - t0) / 1_000_000
        );
        assert!(packets > 0);
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The rate limiter with a simulated clock: burst, refill, per-source and
//! per-namespace independence, IPv6 /64 grouping, garbage collection and a
//! full table (our own cases for the semantics of the C driver's
//! `selftest/ratelimiter.c`).

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_ratelimiter)]
mod tests {
    use crate::ratelimiter::{
        Ratelimiter,
        SourceIp,
        PACKETS_BURSTABLE,
        PACKET_COST, //
    };
    use kernel::prelude::*;

    const T0: u64 = 100_000_000_000;
    const SEC: u64 = 1_000_000_000;
    const NET: usize = 0x1000;
    const A: SourceIp = SourceIp::V4([10, 0, 0, 1]);
    const B: SourceIp = SourceIp::V4([10, 0, 0, 2]);

    fn v6(last: u8, host: u8) -> SourceIp {
        let mut a = [0u8; 16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[7] = last;
        a[15] = host;
        SourceIp::V6(a)
    }

    /// How many of `n` packets at time `t` pass.
    fn passes(rl: &Ratelimiter, net: usize, ip: SourceIp, t: u64, n: u64) -> u64 {
        (0..n).filter(|_| rl.allow(net, ip, t)).count() as u64
    }

    #[test]
    fn burst_then_refill() -> Result {
        let rl = Ratelimiter::new(16)?;
        assert_eq!(passes(&rl, NET, A, T0, 10), PACKETS_BURSTABLE);
        // One packet's worth of time buys exactly one packet.
        assert_eq!(passes(&rl, NET, A, T0 + PACKET_COST, 3), 1);
        assert_eq!(
            passes(&rl, NET, A, T0 + PACKET_COST + PACKET_COST / 2, 3),
            0
        );
        // A long pause refills at most the burst.
        assert_eq!(passes(&rl, NET, A, T0 + 10 * SEC, 20), PACKETS_BURSTABLE);
        // A steady 20 packets a second all pass.
        let mut t = T0 + 20 * SEC;
        let mut ok = 0;
        for _ in 0..100 {
            t += PACKET_COST;
            ok += passes(&rl, NET, A, t, 1);
        }
        assert_eq!(ok, 100);
        Ok(())
    }

    #[test]
    fn sources_and_namespaces_are_independent() -> Result {
        let rl = Ratelimiter::new(16)?;
        assert_eq!(passes(&rl, NET, A, T0, 10), PACKETS_BURSTABLE);
        assert_eq!(passes(&rl, NET, B, T0, 10), PACKETS_BURSTABLE);
        assert_eq!(passes(&rl, NET + 8, A, T0, 10), PACKETS_BURSTABLE);
        assert_eq!(rl.len(), 3);
        Ok(())
    }

    #[test]
    fn ipv6_counts_per_64() -> Result {
        let rl = Ratelimiter::new(16)?;
        assert_eq!(passes(&rl, NET, v6(1, 1), T0, 3), 3);
        // Another host in the same /64 shares the bucket.
        assert_eq!(passes(&rl, NET, v6(1, 2), T0, 10), PACKETS_BURSTABLE - 3);
        // Another /64 does not.
        assert_eq!(passes(&rl, NET, v6(2, 1), T0, 10), PACKETS_BURSTABLE);
        // An IPv4 address never shares with IPv6.
        assert_eq!(passes(&rl, NET, A, T0, 10), PACKETS_BURSTABLE);
        Ok(())
    }

    #[test]
    fn idle_entries_are_collected() -> Result {
        let rl = Ratelimiter::new(16)?;
        passes(&rl, NET, A, T0, 1);
        passes(&rl, NET, B, T0 + SEC / 2, 1);
        assert_eq!(rl.gc(T0 + SEC, false), 2);
        assert_eq!(rl.gc(T0 + SEC + 1, false), 1);
        assert_eq!(rl.gc(T0 + 2 * SEC, false), 0);
        // A collected source starts over with a full burst.
        assert_eq!(passes(&rl, NET, A, T0 + 3 * SEC, 10), PACKETS_BURSTABLE);
        assert_eq!(rl.gc(T0 + 3 * SEC, true), 0);
        Ok(())
    }

    #[test]
    fn full_table_refuses_new_sources() -> Result {
        let rl = Ratelimiter::new(2)?;
        let cap = rl.capacity();
        assert_eq!(cap, 16);
        for i in 0..cap {
            assert!(rl.allow(NET, SourceIp::V4([10, 1, 0, i as u8]), T0));
        }
        assert!(!rl.allow(NET, SourceIp::V4([10, 2, 0, 0]), T0));
        // Known sources still pass; after collection new ones do again.
        assert!(rl.allow(NET, SourceIp::V4([10, 1, 0, 0]), T0));
        assert_eq!(rl.gc(T0 + 2 * SEC, false), 0);
        assert!(rl.allow(NET, SourceIp::V4([10, 2, 0, 0]), T0 + 2 * SEC));
        Ok(())
    }

    #[test]
    fn sizing_like_the_c_driver() {
        assert_eq!(Ratelimiter::buckets_for_ram(4 << 30), 8192);
        assert_eq!(Ratelimiter::buckets_for_ram(512 << 20), 4096);
        assert_eq!(Ratelimiter::buckets_for_ram(1 << 20), 16);
    }
}

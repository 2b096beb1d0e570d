// SPDX-License-Identifier: GPL-2.0

//! The decryption ring's delay controller (`codel.rs`), driven by a made-up
//! clock: when it starts signalling, how the signals speed up, when it
//! stops; the floor under which it never signals; marks instead of drops
//! for ECN-capable packets.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_codel)]
mod tests {
    use crate::codel::{
        spacing,
        Codel,
        Verdict,
        INTERVAL_NS,
        TARGET_NS, //
    };
    use kernel::prelude::*;

    const MS: u64 = 1_000_000;
    /// The floor the tests' queue has (the ring's is one packet per
    /// online CPU).
    const FLOOR: usize = 2;
    /// A backlog long enough to be signalled on.
    const BACKLOG: usize = FLOOR + 100;

    /// Packets leave every `step` ns from `from` to `to` (exclusive), each
    /// having waited `sojourn`: the times of the drops.
    fn run(c: &mut Codel, from: u64, to: u64, step: u64, sojourn: u64, backlog: usize) -> KVec<u64> {
        let mut drops = KVec::new();
        let mut t = from;
        while t < to {
            if c.should_signal(t, sojourn, backlog, FLOOR) {
                let _ = drops.push(t, GFP_KERNEL);
            }
            t += step;
        }
        drops
    }

    #[test]
    fn spacing_is_interval_over_root_of_count() {
        assert_eq!(spacing(0), INTERVAL_NS);
        assert_eq!(spacing(1), INTERVAL_NS);
        assert_eq!(spacing(4), INTERVAL_NS / 2);
        assert_eq!(spacing(100), INTERVAL_NS / 10);
        // 100 ms / sqrt(2) = 70.710678 ms.
        assert_eq!(spacing(2), 70_710_678);
        assert_eq!(spacing(u32::MAX), 1525);
    }

    #[test]
    fn short_delays_are_never_dropped() {
        let mut c = Codel::new();
        // Below the target for ten seconds, whatever the backlog.
        let d = run(&mut c, 1000, 10_000 * MS, MS, TARGET_NS - 1, BACKLOG);
        assert!(d.is_empty());
        assert!(!c.dropping());
    }

    #[test]
    fn a_short_queue_is_never_dropped() {
        let mut c = Codel::new();
        let d = run(&mut c, 1000, 10_000 * MS, MS, 50 * MS, FLOOR);
        assert!(d.is_empty());
        // One more behind it, and the same delay is a standing queue: a
        // signal one interval after the first such packet, then another.
        let d = run(&mut c, 10_000 * MS, 10_250 * MS, MS, 50 * MS, FLOOR + 1);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0], 10_100 * MS);
    }

    #[test]
    fn the_floor_is_the_callers() {
        // The same standing queue of 8 packets, with floors of 8 and 7.
        let mut c = Codel::new();
        let mut signals = 0;
        let mut t = 1000;
        while t < 1000 + 1000 * MS {
            if c.should_signal(t, 50 * MS, 8, 8) {
                signals += 1;
            }
            t += MS;
        }
        assert_eq!(signals, 0);
        let mut c = Codel::new();
        let mut t = 1000;
        while t < 1000 + 1000 * MS {
            if c.should_signal(t, 50 * MS, 8, 7) {
                signals += 1;
            }
            t += MS;
        }
        assert!(signals > 3);
    }

    #[test]
    fn ecn_capable_packets_are_marked_not_dropped() {
        // Two controllers see the same standing queue; one's packets are
        // all ECN-capable, the other's none: the first marks exactly where
        // the second drops (a mark counts as a signal for the spacing).
        let (mut e, mut n) = (Codel::new(), Codel::new());
        let (mut marks, mut drops) = (KVec::new(), KVec::new());
        let mut wrong = 0;
        let mut t = 1000;
        while t < 1000 + 600 * MS {
            match e.verdict(t, 20 * MS, BACKLOG, FLOOR, true) {
                Verdict::Mark => {
                    let _ = marks.push(t, GFP_KERNEL);
                }
                Verdict::Drop => wrong += 1,
                Verdict::Pass => {}
            }
            match n.verdict(t, 20 * MS, BACKLOG, FLOOR, false) {
                Verdict::Drop => {
                    let _ = drops.push(t, GFP_KERNEL);
                }
                Verdict::Mark => wrong += 1,
                Verdict::Pass => {}
            }
            t += MS;
        }
        assert_eq!(wrong, 0);
        assert!(marks.len() > 3);
        assert_eq!(&marks[..], &drops[..]);
        // Mixed: whether a signal marks or drops is the packet's own.
        let mut c = Codel::new();
        let (mut m, mut d) = (0, 0);
        let mut t = 1000;
        let mut i = 0u32;
        while t < 1000 + 600 * MS {
            match c.verdict(t, 20 * MS, BACKLOG, FLOOR, i % 2 == 0) {
                Verdict::Mark => m += 1,
                Verdict::Drop => d += 1,
                Verdict::Pass => {}
            }
            i += 1;
            t += MS;
        }
        assert_eq!(m + d, marks.len());
        // And a queue at the floor passes everything, ECN-capable or not.
        let mut c = Codel::new();
        let mut t = 1000;
        while t < 1000 + 600 * MS {
            assert_eq!(c.verdict(t, 20 * MS, FLOOR, FLOOR, true), Verdict::Pass);
            assert_eq!(c.verdict(t, 20 * MS, FLOOR, FLOOR, false), Verdict::Pass);
            t += MS;
        }
    }

    #[test]
    fn a_burst_shorter_than_the_interval_passes() {
        let mut c = Codel::new();
        // 99 ms above the target, then below: nothing dropped.
        let d = run(&mut c, 1000, 1000 + 99 * MS, MS, 20 * MS, BACKLOG);
        assert!(d.is_empty());
        let d = run(&mut c, 1000 + 99 * MS, 1000 + 300 * MS, MS, MS, BACKLOG);
        assert!(d.is_empty());
    }

    #[test]
    fn a_standing_queue_is_dropped_ever_faster() {
        let mut c = Codel::new();
        let t0 = 1000;
        // 1 ms apart, always 20 ms late: the first packet starts the clock,
        // the first drop comes one interval later, the next one interval
        // after that, then each 100/sqrt(n) ms after the previous one was
        // due, n the drops so far (met by the next packet).
        let d = run(&mut c, t0, t0 + 400 * MS, MS, 20 * MS, BACKLOG);
        assert!(c.dropping());
        assert_eq!(d.len(), 5);
        assert_eq!(d[0], t0 + INTERVAL_NS);
        assert_eq!(d[1], t0 + 2 * INTERVAL_NS);
        // Due at +200 ms + 70.71 ms.
        assert_eq!(d[2], t0 + 271 * MS);
        // Due at +270.71 ms + 57.74 ms = 328.45 ms.
        assert_eq!(d[3], t0 + 329 * MS);
        // Due at +328.45 ms + 50 ms.
        assert_eq!(d[4], t0 + 379 * MS);
        for w in d.windows(2) {
            assert!(w[1] > w[0]);
        }
        // Each gap is no longer than the one before (give or take the
        // 1 ms step).
        for w in d.windows(3) {
            assert!(w[2] - w[1] <= w[1] - w[0] + MS);
        }
        assert_eq!(c.count() as usize, d.len());
    }

    #[test]
    fn dropping_stops_when_the_delay_falls() {
        let mut c = Codel::new();
        let d = run(&mut c, 1000, 1000 + 300 * MS, MS, 20 * MS, BACKLOG);
        assert!(!d.is_empty());
        assert!(c.dropping());
        // One packet on time ends the dropping state...
        assert!(!c.should_signal(1000 + 300 * MS, TARGET_NS - 1, BACKLOG, FLOOR));
        assert!(!c.dropping());
        // ... and a new standing queue waits a whole interval again.
        let d = run(&mut c, 1000 + 301 * MS, 1000 + 400 * MS, MS, 20 * MS, BACKLOG);
        assert!(d.is_empty());
    }

    #[test]
    fn a_queue_that_comes_back_soon_starts_at_its_last_rate() {
        let mut c = Codel::new();
        let t0 = 1000;
        let d = run(&mut c, t0, t0 + 1000 * MS, MS, 20 * MS, BACKLOG);
        let n = d.len() as u32;
        assert!(n > 3);
        assert!(!c.should_signal(t0 + 1000 * MS, 0, BACKLOG, FLOOR));
        // Back above the target 10 ms later: after an interval it drops
        // again, with the count it had reached (minus its start of 1).
        let t1 = t0 + 1010 * MS;
        let d = run(&mut c, t1, t1 + INTERVAL_NS + MS, MS, 20 * MS, BACKLOG);
        assert_eq!(d.len(), 1);
        assert_eq!(c.count(), n - 1);
        // A queue that comes back much later starts from one drop.
        let mut c = Codel::new();
        let _ = run(&mut c, t0, t0 + 1000 * MS, MS, 20 * MS, BACKLOG);
        assert!(!c.should_signal(t0 + 1000 * MS, 0, BACKLOG, FLOOR));
        let t2 = t0 + 1000 * MS + 20 * INTERVAL_NS;
        let d = run(&mut c, t2, t2 + INTERVAL_NS + MS, MS, 20 * MS, BACKLOG);
        assert_eq!(d.len(), 1);
        assert_eq!(c.count(), 1);
    }
}

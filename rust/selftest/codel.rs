// SPDX-License-Identifier: GPL-2.0

//! The decryption ring's delay controller (`codel.rs`), driven by a made-up
//! clock: when it starts dropping, how the drops speed up, when it stops.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_codel)]
mod tests {
    use crate::codel::{
        spacing,
        Codel,
        INTERVAL_NS,
        MIN_BACKLOG,
        TARGET_NS, //
    };
    use kernel::prelude::*;

    const MS: u64 = 1_000_000;
    /// A backlog long enough to be dropped from.
    const BACKLOG: usize = MIN_BACKLOG + 100;

    /// Packets leave every `step` ns from `from` to `to` (exclusive), each
    /// having waited `sojourn`: the times of the drops.
    fn run(c: &mut Codel, from: u64, to: u64, step: u64, sojourn: u64, backlog: usize) -> KVec<u64> {
        let mut drops = KVec::new();
        let mut t = from;
        while t < to {
            if c.should_drop(t, sojourn, backlog) {
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
        let d = run(&mut c, 1000, 10_000 * MS, MS, 50 * MS, MIN_BACKLOG);
        assert!(d.is_empty());
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
        assert!(!c.should_drop(1000 + 300 * MS, TARGET_NS - 1, BACKLOG));
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
        assert!(!c.should_drop(t0 + 1000 * MS, 0, BACKLOG));
        // Back above the target 10 ms later: after an interval it drops
        // again, with the count it had reached (minus its start of 1).
        let t1 = t0 + 1010 * MS;
        let d = run(&mut c, t1, t1 + INTERVAL_NS + MS, MS, 20 * MS, BACKLOG);
        assert_eq!(d.len(), 1);
        assert_eq!(c.count(), n - 1);
        // A queue that comes back much later starts from one drop.
        let mut c = Codel::new();
        let _ = run(&mut c, t0, t0 + 1000 * MS, MS, 20 * MS, BACKLOG);
        assert!(!c.should_drop(t0 + 1000 * MS, 0, BACKLOG));
        let t2 = t0 + 1000 * MS + 20 * INTERVAL_NS;
        let d = run(&mut c, t2, t2 + INTERVAL_NS + MS, MS, 20 * MS, BACKLOG);
        assert_eq!(d.len(), 1);
        assert_eq!(c.count(), 1);
    }
}

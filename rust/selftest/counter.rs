// SPDX-License-Identifier: GPL-2.0

//! The replay window, checked against the same sequences as the C driver's
//! `selftest/counter.c` (written anew here).

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_counter)]
mod tests {
    use crate::counter::ReplayCounter;
    use crate::messages::{
        COUNTER_WINDOW_SIZE,
        REJECT_AFTER_MESSAGES, //
    };

    const LIM: u64 = COUNTER_WINDOW_SIZE + 1;

    /// Runs `steps` of (counter, expected) on a fresh window; returns the
    /// first step number (1-based) that disagrees, or 0.
    fn run(steps: &[(u64, bool)]) -> usize {
        let mut c = ReplayCounter::new();
        for (i, &(n, want)) in steps.iter().enumerate() {
            if c.validate(n) != want {
                return i + 1;
            }
        }
        0
    }

    #[test]
    fn sequence() {
        let r = REJECT_AFTER_MESSAGES;
        let steps = [
            (0, true),
            (1, true),
            (1, false),
            (9, true),
            (8, true),
            (7, true),
            (7, false),
            (LIM, true),
            (LIM - 1, true),
            (LIM - 1, false),
            (LIM - 2, true),
            (2, true),
            (2, false),
            (LIM + 16, true),
            (3, false),
            (LIM + 16, false),
            (LIM * 4, true),
            (LIM * 4 - (LIM - 1), true),
            (10, false),
            (LIM * 4 - LIM, false),
            (LIM * 4 - (LIM + 1), false),
            (LIM * 4 - (LIM - 2), true),
            (LIM * 4 + 1 - LIM, false),
            (0, false),
            (r, false),
            (r - 1, true),
            (r, false),
            (r - 1, false),
            (r - 2, true),
            (r + 1, false),
            (r + 2, false),
            (r - 2, false),
            (r - 3, true),
            (0, false),
        ];
        assert_eq!(run(&steps), 0);
    }

    #[test]
    fn window_filled_ascending_then_zero() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in 1..=COUNTER_WINDOW_SIZE {
            ok &= c.validate(i);
        }
        assert!(ok);
        assert!(c.validate(0));
        assert!(!c.validate(0));
    }

    #[test]
    fn window_plus_one_pushes_zero_out() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in 2..=COUNTER_WINDOW_SIZE + 1 {
            ok &= c.validate(i);
        }
        assert!(ok);
        assert!(c.validate(1));
        assert!(!c.validate(0));
    }

    #[test]
    fn descending_fills_window() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in (0..=COUNTER_WINDOW_SIZE).rev() {
            ok &= c.validate(i);
        }
        assert!(ok);
    }

    #[test]
    fn descending_from_beyond_window() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in (1..=COUNTER_WINDOW_SIZE + 1).rev() {
            ok &= c.validate(i);
        }
        assert!(ok);
        assert!(!c.validate(0));
    }

    #[test]
    fn descending_then_top_then_zero() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in (1..=COUNTER_WINDOW_SIZE).rev() {
            ok &= c.validate(i);
        }
        assert!(ok);
        assert!(c.validate(COUNTER_WINDOW_SIZE + 1));
        assert!(!c.validate(0));
    }

    #[test]
    fn descending_then_zero_then_top() {
        let mut c = ReplayCounter::new();
        let mut ok = true;
        for i in (1..=COUNTER_WINDOW_SIZE).rev() {
            ok &= c.validate(i);
        }
        assert!(ok);
        assert!(c.validate(0));
        assert!(c.validate(COUNTER_WINDOW_SIZE + 1));
    }

    #[test]
    fn big_jumps_clear_the_ring() {
        // A jump of more than the whole ring must forget everything old.
        let mut c = ReplayCounter::new();
        assert!(c.validate(5));
        assert!(c.validate(5 + 10 * LIM));
        assert!(!c.validate(5));
        assert!(c.validate(5 + 10 * LIM - 1));
        assert!(!c.validate(5 + 10 * LIM));
    }
}

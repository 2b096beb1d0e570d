// SPDX-License-Identifier: GPL-2.0

//! The pipeline's lock-free job cell: one worker, one consumer, in order.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_handoff)]
mod tests {
    use crate::kapi::handoff::{
        Handoff,
        Stage, //
    };

    #[test]
    fn one_worker_then_one_consumer() {
        let h = Handoff::new(5u32);
        assert_eq!(h.stage(), Stage::Pending);
        // Nothing to take before the work is finished.
        assert_eq!(h.take(), None);
        let r = h.work(|v| {
            *v += 1;
            (true, *v * 10)
        });
        assert_eq!(r, Some(60));
        assert_eq!(h.stage(), Stage::Done);
        // A second worker (or a late finish) finds it no longer pending.
        assert_eq!(h.work(|_| (true, 0)), None);
        h.finish_unworked(false);
        assert_eq!(h.stage(), Stage::Done);
        assert_eq!(h.take(), Some(6));
        assert_eq!(h.stage(), Stage::Taken);
        assert_eq!(h.take(), None);
    }

    #[test]
    fn failed_work_and_unworked_finish() {
        let h = Handoff::new(1u8);
        assert_eq!(h.work(|_| (false, ())), Some(()));
        assert_eq!(h.stage(), Stage::Failed);
        assert_eq!(h.take(), Some(1));

        let h = Handoff::new(2u8);
        h.finish_unworked(false);
        assert_eq!(h.stage(), Stage::Failed);
        // No worker gets it once finished.
        assert_eq!(h.work(|_| (true, ())), None);
        assert_eq!(h.take(), Some(2));

        let h = Handoff::new(3u8);
        h.finish_unworked(true);
        assert_eq!(h.stage(), Stage::Done);
        assert_eq!(h.take(), Some(3));
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Queue delay control for the decryption ring (CoDel, RFC 8289; not in the
//! C driver).
//!
//! A tunnel whose receiver cannot decrypt as fast as packets arrive queues
//! them in its decryption ring, up to `MAX_QUEUED_PACKETS`. Nothing is lost
//! until that ring is full, so a TCP stream through the tunnel sees no loss
//! and keeps growing its window: every packet then waits behind a thousand
//! others, hundreds of milliseconds on a slow CPU (the "loaded" round trip
//! of `selftests/bench/33-latency.sh`). [`Codel`] looks at how long each
//! packet waited when a worker takes it, and once the wait has stayed above
//! [`TARGET_NS`] for [`INTERVAL_NS`], signals congestion on a packet, then
//! more often (interval / sqrt(signals)) until the wait falls below the
//! target again: the senders slow down to what the receiver can decrypt and
//! the standing queue goes away, while short bursts pass untouched.
//!
//! A signal is a drop, or for a packet whose outer header says its inner
//! one is ECN-capable, a congestion mark instead (the queue's caller
//! decides: RFC 8289's CoDel marks such packets too). The mark costs the
//! flow no retransmission, which matters most where its window is small.
//!
//! A queue of at most `min_backlog` packets behind the one taken is never
//! signalled on: RFC 8289 leaves alone a queue holding at most one
//! maximum-sized packet, which the link empties in one packet's time. The
//! ring's caller passes one packet per online CPU, the ring's equivalent:
//! every CPU's worker takes packets from it, so that many leave it in one
//! packet's decryption time.
//!
//! Pure logic: the caller gives the clock and the queue length.

/// The queueing delay the controller aims for.
pub(crate) const TARGET_NS: u64 = 5_000_000;
/// How long the delay must stay above the target before a signal, and the
/// base of the spacing between signals.
pub(crate) const INTERVAL_NS: u64 = 100_000_000;

/// What the queue does with a packet that leaves it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Verdict {
    /// Pass it on.
    Pass,
    /// Pass it on with a congestion mark (it is ECN-capable).
    Mark,
    /// Drop it.
    Drop,
}

/// One queue's CoDel state.
pub(crate) struct Codel {
    /// When the delay, above the target since then, allows a first signal
    /// (0: the delay is below the target).
    first_above: u64,
    /// When the next signal is due while signalling.
    drop_next: u64,
    /// Signals in this signalling state.
    count: u32,
    /// `count` when the previous dropping state ended.
    last_count: u32,
    dropping: bool,
}

/// `INTERVAL_NS / sqrt(count)` (count at least 1), in integers.
pub(crate) fn spacing(count: u32) -> u64 {
    let c = u64::from(count.max(1));
    // The largest r with r * r <= INTERVAL_NS^2 / c, by bisection: no
    // floating point in the kernel (INTERVAL_NS^2 fits in a u64).
    let bound = INTERVAL_NS * INTERVAL_NS / c;
    let (mut lo, mut hi) = (0u64, INTERVAL_NS);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if mid * mid <= bound {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

impl Codel {
    /// A controller that has not seen a packet yet.
    pub(crate) const fn new() -> Self {
        Self {
            first_above: 0,
            drop_next: 0,
            count: 0,
            last_count: 0,
            dropping: false,
        }
    }

    /// Whether the delay has stayed above the target long enough for a
    /// signal (updating when it first went above).
    fn over_target(&mut self, now: u64, sojourn: u64, backlog: usize, min_backlog: usize) -> bool {
        if sojourn < TARGET_NS || backlog <= min_backlog {
            self.first_above = 0;
            return false;
        }
        if self.first_above == 0 {
            self.first_above = now.saturating_add(INTERVAL_NS).max(1);
            return false;
        }
        now >= self.first_above
    }

    /// A packet leaves the queue at `now` (ns) after waiting `sojourn` ns,
    /// with `backlog` packets still behind it, in a queue never signalled on
    /// with `min_backlog` or fewer: whether to signal congestion on it (drop
    /// it, or mark it if it is ECN-capable).
    pub(crate) fn should_signal(
        &mut self,
        now: u64,
        sojourn: u64,
        backlog: usize,
        min_backlog: usize,
    ) -> bool {
        let over = self.over_target(now, sojourn, backlog, min_backlog);
        if self.dropping {
            if !over {
                self.dropping = false;
                return false;
            }
            if now >= self.drop_next {
                self.count = self.count.saturating_add(1);
                self.drop_next = self.drop_next.saturating_add(spacing(self.count));
                return true;
            }
            return false;
        }
        if !over {
            return false;
        }
        // Entering the signalling state: if the last one ended recently,
        // start near its rate rather than from one.
        let recent = now.saturating_sub(self.drop_next) < 16 * INTERVAL_NS;
        let delta = self.count.saturating_sub(self.last_count);
        self.count = if recent && delta > 1 { delta } else { 1 };
        self.last_count = self.count;
        self.dropping = true;
        self.drop_next = now.saturating_add(spacing(self.count));
        true
    }

    /// [`Codel::should_signal`], as what to do with the packet: a signal
    /// on an `ecn_capable` packet marks it, on any other drops it. Both
    /// count alike for the spacing of the signals that follow.
    pub(crate) fn verdict(
        &mut self,
        now: u64,
        sojourn: u64,
        backlog: usize,
        min_backlog: usize,
        ecn_capable: bool,
    ) -> Verdict {
        if !self.should_signal(now, sojourn, backlog, min_backlog) {
            Verdict::Pass
        } else if ecn_capable {
            Verdict::Mark
        } else {
            Verdict::Drop
        }
    }

    /// Signals so far in the current (or last) signalling state.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Whether the controller is in its signalling state.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn dropping(&self) -> bool {
        self.dropping
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Queue delay control for the decryption ring (CoDel, RFC 8289; not in the
//! C driver).
//!
//! A tunnel whose receiver cannot decrypt as fast as packets arrive queues
//! them in its decryption ring, up to `MAX_QUEUED_PACKETS`. Nothing is lost
//! until that ring is full, so a TCP stream through the tunnel sees no loss
//! and keeps growing its window: every packet then waits behind a thousand
//! others, hundreds of milliseconds on a slow CPU (the "loaded" round trip
//! of `selftests/bench/30-tunnel.sh`). [`Codel`] looks at how long each
//! packet waited when a worker takes it, and once the wait has stayed above
//! [`TARGET_NS`] for [`INTERVAL_NS`], drops a packet before decrypting it,
//! then more often (interval / sqrt(drops)) until the wait falls below the
//! target again: the senders slow down to what the receiver can decrypt and
//! the standing queue goes away, while short bursts pass untouched.
//!
//! Pure logic: the caller gives the clock and the queue length.

use crate::messages::MAX_QUEUED_PACKETS;

/// The queueing delay the controller aims for.
pub(crate) const TARGET_NS: u64 = 5_000_000;
/// How long the delay must stay above the target before a drop, and the
/// base of the spacing between drops.
pub(crate) const INTERVAL_NS: u64 = 100_000_000;
/// A queue this short or shorter is never dropped from: a quarter of the
/// ring. The ring is shared by every flow of every peer, and a TCP flow
/// recovers from a drop by fast retransmit only with a few packets of its
/// own in flight behind it; at 5 ms of a slow receiver (16 packets at 36
/// Mbit/s in `30-tunnel.sh`) four streams had too few, and each drop cost
/// a burst of duplicate acknowledgements and retransmissions. Where the
/// receiver decrypts faster than 256 packets per 5 ms (about 580 Mbit/s of
/// full-sized packets) the floor never matters; below that the standing
/// queue stays near a quarter of the C driver's full ring.
pub(crate) const MIN_BACKLOG: usize = MAX_QUEUED_PACKETS / 4;

/// One queue's CoDel state.
pub(crate) struct Codel {
    /// When the delay, above the target since then, allows a first drop
    /// (0: the delay is below the target).
    first_above: u64,
    /// When the next drop is due while dropping.
    drop_next: u64,
    /// Drops in this dropping state.
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
    /// drop (updating when it first went above).
    fn over_target(&mut self, now: u64, sojourn: u64, backlog: usize) -> bool {
        if sojourn < TARGET_NS || backlog <= MIN_BACKLOG {
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
    /// with `backlog` packets still behind it: whether to drop it.
    pub(crate) fn should_drop(&mut self, now: u64, sojourn: u64, backlog: usize) -> bool {
        let over = self.over_target(now, sojourn, backlog);
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
        // Entering the dropping state: if the last one ended recently, start
        // near its drop rate rather than from one.
        let recent = now.saturating_sub(self.drop_next) < 16 * INTERVAL_NS;
        let delta = self.count.saturating_sub(self.last_count);
        self.count = if recent && delta > 1 { delta } else { 1 };
        self.last_count = self.count;
        self.dropping = true;
        self.drop_next = now.saturating_add(spacing(self.count));
        true
    }

    /// Drops so far in the current (or last) dropping state.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Whether the controller is in its dropping state.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn dropping(&self) -> bool {
        self.dropping
    }
}

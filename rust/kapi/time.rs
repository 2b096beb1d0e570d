// SPDX-License-Identifier: GPL-2.0

//! Clocks (`include/linux/timekeeping.h`).

use super::bindings as b;

/// Nanoseconds since boot, including suspend, at jiffy resolution: the
/// clock WireGuard's timers and rate limits use.
pub(crate) fn boottime_coarse_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_ktime_get_coarse_boottime_ns() }
}

/// Wall-clock time as (seconds, nanoseconds) since the Unix epoch.
pub(crate) fn realtime() -> (i64, u32) {
    let mut sec: i64 = 0;
    let mut nsec: kernel::ffi::c_long = 0;
    // SAFETY: both out-pointers are valid.
    unsafe { b::wgrs_ktime_get_real_ts64(&mut sec, &mut nsec) };
    (sec, nsec.clamp(0, 999_999_999) as u32)
}

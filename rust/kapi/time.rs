// SPDX-License-Identifier: GPL-2.0

//! Clocks (`include/linux/timekeeping.h`).

use super::bindings as b;

/// Nanoseconds since boot, including suspend, at jiffy resolution: the
/// clock WireGuard's timers and rate limits use.
pub(crate) fn boottime_coarse_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_ktime_get_coarse_boottime_ns() }
}

/// Nanoseconds of the monotonic clock at the clock source's resolution,
/// cheap and callable in any context (for measuring queueing delays).
pub(crate) fn mono_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_ktime_get_mono_fast_ns() }
}

/// Wall-clock time as (seconds, nanoseconds) since the Unix epoch.
pub(crate) fn realtime() -> (i64, u32) {
    let mut sec: i64 = 0;
    let mut nsec: kernel::ffi::c_long = 0;
    // SAFETY: both out-pointers are valid.
    unsafe { b::wgrs_ktime_get_real_ts64(&mut sec, &mut nsec) };
    (sec, nsec.clamp(0, 999_999_999) as u32)
}

/// A random number below `ceil` (0 if `ceil` is 0).
pub(crate) fn random_below(ceil: u32) -> u32 {
    if ceil == 0 {
        return 0;
    }
    // SAFETY: no preconditions.
    unsafe { b::wgrs_random_below(ceil) }
}

/// Whether the kernel's random generator is seeded (handshakes wait for it).
pub(crate) fn rng_is_initialized() -> bool {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_rng_is_initialized() }
}

/// Runs `f` with bottom halves disabled (for per-CPU statistics updated
/// from process context).
pub(crate) fn with_bh_disabled<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: balanced with the enable below, on the same CPU (the section
    // cannot migrate while bottom halves are off).
    unsafe { b::wgrs_local_bh_disable() };
    let r = f();
    // SAFETY: disabled above.
    unsafe { b::wgrs_local_bh_enable() };
    r
}

// SPDX-License-Identifier: GPL-2.0

//! In-kernel tests (KUnit), next to the code like the C driver's
//! `selftest/`. Compiled only into the module's test builds: `WGRS_KUNIT=tests`
//! (the `wireguard_rs_*` suites) or `WGRS_KUNIT=bench` (the `wgrs_bench_*`
//! benchmarks), see `Kbuild`. KUnit's module notifier runs the suites of such
//! a build when it loads, and prints KTAP to the kernel log.

// The trie's test helpers are shared by the tests and the benchmarks.
mod allowedips;
#[cfg(wgrs_kunit_bench)]
mod bench;
#[cfg(wgrs_kunit_tests)]
mod codel;
#[cfg(wgrs_kunit_tests)]
mod cookie;
#[cfg(wgrs_kunit_tests)]
mod counter;
#[cfg(wgrs_kunit_tests)]
mod handoff;
#[cfg(wgrs_kunit_tests)]
mod keypairs;
#[cfg(wgrs_kunit_tests)]
mod noise;
#[cfg(wgrs_kunit_tests)]
mod noise_vectors;
#[cfg(wgrs_kunit_tests)]
mod peerlookup;
#[cfg(wgrs_kunit_tests)]
mod ratelimiter;
#[cfg(wgrs_kunit_tests)]
mod shared;
#[cfg(wgrs_kunit_tests)]
mod vectors;

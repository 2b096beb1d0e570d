// SPDX-License-Identifier: GPL-2.0

//! In-kernel tests (KUnit), next to the code like the C driver's
//! `selftest/`. Built only with `CONFIG_KUNIT`. Module suites run when the
//! module loads, filtered by `kunit.filter_glob`; the VM harness boots with
//! a filter that matches nothing and enables `wireguard_rs_*` (tests) or
//! `wgrs_bench_*` (benchmarks) only in the scripts that want them.

mod allowedips;
mod bench;
mod cookie;
mod counter;
mod keypairs;
mod noise;
mod noise_vectors;
mod peerlookup;
mod ratelimiter;
mod vectors;

// SPDX-License-Identifier: GPL-2.0

//! Benchmarks: they print figures and assert only that the work succeeded.
//! Run by `selftests/bench/` with `kunit.filter_glob=wgrs_bench_*`.

use kernel::prelude::*;

#[kunit_tests(wgrs_bench_noise)]
mod tests {
    use crate::kapi::time::boottime_coarse_ns;
    use crate::noise::{
        generate_secret,
        Handshake,
        InitiationInProgress,
        Key,
        StaticIdentity, //
    };
    use kernel::prelude::*;

    const N: u32 = 200;

    #[test]
    fn initiations_per_second() -> Result {
        let mut a = StaticIdentity::new();
        a.set_private_key(generate_secret().bytes());
        let mut b = StaticIdentity::new();
        b.set_private_key(generate_secret().bytes());
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let mut hb = Handshake::new(&b, a.public_key(), &Key::zero());
        let mut inits = KVec::with_capacity(N as usize, GFP_KERNEL)?;
        let t0 = boottime_coarse_ns();
        for i in 0..N {
            let mut ts = [0u8; 12];
            ts[..4].copy_from_slice(&(i + 1).to_be_bytes());
            inits.push(ha.create_initiation(&a, generate_secret(), &ts, i).ok_or(EINVAL)?, GFP_KERNEL)?;
        }
        let t1 = boottime_coarse_ns();
        let mut now = 1_000_000_000_000u64;
        for m in inits.iter() {
            now += 1_000_000_000;
            let st = InitiationInProgress::begin(m, &b).ok_or(EINVAL)?;
            assert!(hb.consume_initiation(st, m, now));
        }
        let t2 = boottime_coarse_ns();
        let rate = |ns: u64| (N as u64 * 1_000_000_000) / ns.max(1);
        pr_info!(
            "bench: noise: {} initiations created in {} us ({}/s), consumed in {} us ({}/s)\n",
            N,
            (t1 - t0) / 1000,
            rate(t1 - t0),
            (t2 - t1) / 1000,
            rate(t2 - t1)
        );
        Ok(())
    }
}

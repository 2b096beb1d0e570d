// SPDX-License-Identifier: GPL-2.0

//! Running this module's own KUnit suites on request.
//!
//! The suites `#[kunit_tests]` puts in `.kunit_test_suites` are found by the
//! module loader (`struct module::kunit_suites`), but on our test kernels
//! KUnit's module notifier does not run them (even `kunit.action=list` lists
//! nothing for this module; not understood yet). So the module runs the
//! suites it is asked for itself, through KUnit's exported executor: the
//! output is ordinary KTAP in the kernel log, and the suites appear in
//! KUnit's debugfs until the module is unloaded.

use core::ffi::CStr;
use kernel::{
    bindings,
    prelude::*,
    ThisModule, //
};

/// Suites that were run, to be torn down (debugfs) on unload.
pub(crate) struct RanSuites(KVec<*mut bindings::kunit_suite>);

// SAFETY: the suite pointers are static data of this module; they are only
// handed back to KUnit from the module's exit path.
unsafe impl Send for RanSuites {}
// SAFETY: no `&self` method dereferences the pointers.
unsafe impl Sync for RanSuites {}

/// Runs the suites of `module` whose names `want` accepts; returns them.
pub(crate) fn run_module_suites(
    module: &'static ThisModule,
    want: impl Fn(&[u8]) -> bool,
) -> Result<RanSuites> {
    let m = module.as_ptr();
    // SAFETY: `module` is this live module; the loader set these two fields
    // from our `.kunit_test_suites` section and nothing changes them while
    // our init runs.
    let (suites, n) = unsafe { ((*m).kunit_suites, (*m).num_kunit_suites) };
    let mut picked = KVec::new();
    for i in 0..usize::try_from(n).unwrap_or(0) {
        // SAFETY: `suites` has `n` valid entries, each a static suite.
        let suite = unsafe { *suites.add(i) };
        if suite.is_null() {
            continue;
        }
        // SAFETY: a suite's name is a NUL-terminated array.
        let name = unsafe { CStr::from_char_ptr((*suite).name.as_ptr()) };
        if want(name.to_bytes()) {
            picked.push(suite, GFP_KERNEL)?;
        }
    }
    let count = i32::try_from(picked.len()).map_err(|_| EINVAL)?;
    // SAFETY: `picked` holds valid suites of this module, which outlive the
    // call; KUnit runs them synchronously.
    unsafe { bindings::__kunit_test_suites_init(picked.as_ptr(), count, true) };
    Ok(RanSuites(picked))
}

impl Drop for RanSuites {
    fn drop(&mut self) {
        let count = i32::try_from(self.0.len()).unwrap_or(0);
        // SAFETY: these suites were initialised by `run_module_suites`.
        unsafe { bindings::__kunit_test_suites_exit(self.0.as_mut_ptr(), count) };
    }
}

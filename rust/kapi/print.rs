// SPDX-License-Identifier: GPL-2.0

//! Kernel log lines at `KERN_DEBUG` in every build.
//!
//! The kernel crate's `pr_debug!` prints only in builds with debug
//! assertions; the object lines of [`crate::objlog`] must print whenever
//! the module was loaded with `log_objects=1`, at the C driver's level
//! for them (`pr_debug` built with `DEBUG`: below the default console
//! level, so they reach the log and `/dev/kmsg` without flooding a serial
//! console). This calls the function the crate's `pr_*!` macros expand
//! to, with the same format string and module prefix they pass.

/// Prints `args` to the kernel log at `KERN_DEBUG`, prefixed with the
/// module's name (`wireguard_rs: `), like the `pr_*!` macros. Callable in
/// any context `printk` is (process, softirq, hardirq, under spinlocks).
pub(crate) fn debug(args: core::fmt::Arguments<'_>) {
    // SAFETY: the format string is one of the kernel crate's fixed ones
    // (`format_strings::DEBUG`, "\x017%s: %pA"), whose `%pA` takes the
    // `fmt::Arguments` `call_printk` passes; `__LOG_PREFIX` is the module
    // name as `module!` generates it, NUL-terminated, for the `%s`.
    unsafe {
        kernel::print::call_printk(
            &kernel::print::format_strings::DEBUG,
            crate::__LOG_PREFIX,
            args,
        )
    };
}

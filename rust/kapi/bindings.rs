// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the kernel APIs listed in `shims/wgrs_kapi.h`.
//!
//! Generated at build time by bindgen with the kernel build's own flags (see
//! `Kbuild`). Only the other `kapi` modules use these; driver code goes
//! through their safe wrappers.

#![allow(
    clippy::all,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    dead_code,
    unnecessary_transmutes,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

use kernel::ffi;
use pin_init::{
    MaybeZeroable,
    Zeroable, //
};

type __kernel_size_t = usize;
type __kernel_ssize_t = isize;
type __kernel_ptrdiff_t = isize;

// SAFETY: `__BindgenBitfieldUnit<Storage>` is a newtype around `Storage`, so
// it is zeroable exactly when `Storage` is.
unsafe impl<Storage> Zeroable for __BindgenBitfieldUnit<Storage> where Storage: Zeroable {}

include!(env!("WGRS_BINDINGS_RS"));

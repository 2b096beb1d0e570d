// SPDX-License-Identifier: GPL-2.0

//! The wrapper layer: safe Rust interfaces over the kernel APIs wireguard-rs
//! needs and the `kernel` crate does not (yet) provide.
//!
//! All of the module's `unsafe` code lives under this directory. Each file
//! covers one kernel subsystem and states the invariants its types rely on;
//! the driver files (`device.rs`, `netlink.rs`, ...) only use safe code.

pub(crate) mod bindings;
pub(crate) mod crypto;
pub(crate) mod genl;
#[cfg(CONFIG_KUNIT)]
pub(crate) mod kunit;
pub(crate) mod netdev;
pub(crate) mod rcu;
pub(crate) mod rcu_hash;
pub(crate) mod skb;
pub(crate) mod slab;
pub(crate) mod time;

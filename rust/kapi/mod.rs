// SPDX-License-Identifier: GPL-2.0

//! The wrapper layer: safe Rust interfaces over the kernel APIs wireguard-rs
//! needs and the `kernel` crate does not (yet) provide.
//!
//! The module's `unsafe` code lives under this directory. Each file covers
//! one kernel subsystem and states the invariants its types rely on; the
//! driver files only use safe code, with two exceptions: the AllowedIPs
//! trie (`allowedips.rs`) follows its own RCU-published node pointers and
//! retires nodes, in `unsafe` blocks justified by its documented invariants
//! (a generic wrapper for an intrusive RCU trie would be the trie), and
//! `peer.rs` promises the trie's `unsafe trait AllowedIpsPeer` contract.

pub(crate) mod bindings;
pub(crate) mod crypto;
pub(crate) mod genl;
pub(crate) mod handoff;
pub(crate) mod napi;
pub(crate) mod netdev;
pub(crate) mod netns;
pub(crate) mod print;
pub(crate) mod rcu;
pub(crate) mod rcu_hash;
pub(crate) mod route;
pub(crate) mod shared;
pub(crate) mod skb;
pub(crate) mod slab;
pub(crate) mod sync;
pub(crate) mod time;
pub(crate) mod timer;
pub(crate) mod uapi;
pub(crate) mod udp;
pub(crate) mod workqueue;

// SPDX-License-Identifier: GPL-2.0

//! wireguard-rs: the WireGuard secure network tunnel, in Rust.
//!
//! This file only wires the module up (the C driver's `main.c`): it
//! registers the link kind(s) and the generic netlink family, and undoes
//! that in reverse order on unload.

use kernel::{
    prelude::*,
    sync::Arc, //
};

mod allowedips;
mod codel;
mod cookie;
mod counter;
mod device;
mod kapi;
mod keypairs;
mod messages;
mod netlink;
mod noise;
mod objlog;
mod peer;
mod peerlookup;
mod queueing;
mod ratelimiter;
mod receive;
mod routing;
mod routing_netlink;
// The KUnit suites, only in a build that asks for them (`WGRS_KUNIT=tests`
// or `bench`, see `Kbuild`): the module a user loads carries no test code.
#[cfg(any(wgrs_kunit_tests, wgrs_kunit_bench))]
mod selftest;
mod send;
mod socket;
mod timers;

use device::Device;
use kapi::genl::FamilyRegistration;
use kapi::netdev::LinkKind;

module! {
    type: WireGuardRs,
    name: "wireguard_rs",
    authors: ["wireguard-rs developers"],
    description: "WireGuard secure network tunnel, in Rust",
    license: "GPL",
    alias: ["rtnl-link-wireguard-rs"],
    params: {
        drop_in: bool {
            default: false,
            description: "Also register the link kind 'wireguard', so that tools which create or list devices by that kind (wg show, wg-quick, systemd-networkd, NetworkManager) use this module",
        },
        log_objects: bool {
            default: false,
            description: "Print a kernel log line (KERN_DEBUG) when a peer or keypair is created and when it is freed, in the C driver's CONFIG_WIREGUARD_DEBUG format ('wg0: Peer 3 created', 'wg0: Keypair 7 destroyed for peer 3'), for leak accounting in tests",
        },
    },
}

/// The link kind our devices are created with by default.
const KIND: &core::ffi::CStr = c"wireguard-rs";
/// The C driver's link kind, registered too in drop-in mode.
const DROP_IN_KIND: &core::ffi::CStr = c"wireguard";

struct WireGuardRs {
    // Field order is drop order: the families go first so no request can
    // reach a device while the link kinds tear devices down.
    _routing_family: FamilyRegistration,
    _family: FamilyRegistration,
    _drop_in: Option<LinkKind<Device>>,
    _kind: LinkKind<Device>,
    // After the link kinds: no device is watching namespaces any more.
    _netns: kapi::netns::NetnsWatchRegistration,
    // Last: wait for our RCU callbacks before the module's code goes.
    _rcu: kapi::rcu::BarrierOnDrop,
}

impl kernel::Module for WireGuardRs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        objlog::set_enabled(module_parameters::log_objects.value());
        let netns = kapi::netns::NetnsWatchRegistration::register()?;
        // What the module's devices share (the AllowedIPs node caches, the
        // handshake rate limiter): every device holds a reference, and the
        // last one frees it.
        let shared = Arc::new(
            device::Shared {
                caches: Arc::new(allowedips::NodeCaches::new()?, GFP_KERNEL)?,
                ratelimiter: ratelimiter::Ratelimiter::new(
                    ratelimiter::Ratelimiter::buckets_for_ram(kapi::slab::total_ram_bytes()),
                )?,
            },
            GFP_KERNEL,
        )?;
        let kind = LinkKind::<Device>::register(KIND, shared.clone()).inspect_err(|e| {
            pr_err!("cannot register link kind 'wireguard-rs': {:?}\n", e);
        })?;
        let drop_in = if module_parameters::drop_in.value() {
            Some(LinkKind::<Device>::register(DROP_IN_KIND, shared).inspect_err(|e| {
                pr_err!(
                    "drop_in=1: cannot register link kind 'wireguard' ({:?}); is wireguard.ko loaded?\n",
                    e
                );
            })?)
        } else {
            None
        };
        let family = netlink::FAMILY.register().inspect_err(|e| {
                if *e == EEXIST {
                    pr_err!("generic netlink family 'wireguard' is already registered (is wireguard.ko loaded?); not loading\n");
                } else {
                    pr_err!("cannot register generic netlink family 'wireguard': {:?}\n", e);
                }
            })?;
        let routing_family = routing_netlink::ROUTING_FAMILY.register().inspect_err(|e| {
            pr_err!("cannot register generic netlink family 'wireguard-rs': {:?}\n", e);
        })?;
        pr_info!(
            "WireGuard (Rust) loaded: link kind 'wireguard-rs'{}\n",
            if drop_in.is_some() {
                " and 'wireguard' (drop-in)"
            } else {
                ""
            }
        );
        Ok(WireGuardRs {
            _routing_family: routing_family,
            _family: family,
            _drop_in: drop_in,
            _kind: kind,
            _netns: netns,
            _rcu: kapi::rcu::BarrierOnDrop,
        })
    }
}

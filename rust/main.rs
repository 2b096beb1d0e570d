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
mod cookie;
mod counter;
mod device;
mod kapi;
mod keypairs;
mod messages;
mod netlink;
mod noise;
mod peer;
mod peerlookup;
mod queueing;
mod ratelimiter;
mod receive;
#[cfg(CONFIG_KUNIT)]
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
        selftest: u32 {
            default: 0,
            description: "Run the module's KUnit suites at load: 1 = tests, 2 = benchmarks (needs CONFIG_KUNIT)",
        },
    },
}

/// The link kind our devices are created with by default.
const KIND: &core::ffi::CStr = c"wireguard-rs";
/// The C driver's link kind, registered too in drop-in mode.
const DROP_IN_KIND: &core::ffi::CStr = c"wireguard";

struct WireGuardRs {
    // Field order is drop order: the family goes first so no request can
    // reach a device while the link kinds tear devices down.
    _family: FamilyRegistration,
    _drop_in: Option<LinkKind<Device>>,
    _kind: LinkKind<Device>,
    // After the link kinds: no device is watching namespaces any more.
    _netns: kapi::netns::NetnsWatchRegistration,
    #[cfg(CONFIG_KUNIT)]
    _selftests: Option<kapi::kunit::RanSuites>,
    // Last: wait for our RCU callbacks before the module's code goes.
    _rcu: kapi::rcu::BarrierOnDrop,
}

/// Runs the KUnit suites asked for by the `selftest` parameter.
#[cfg(CONFIG_KUNIT)]
fn run_selftests(
    module: &'static ThisModule,
    which: u32,
) -> Result<Option<kapi::kunit::RanSuites>> {
    match which {
        0 => Ok(None),
        1 => kapi::kunit::run_module_suites(module, |n| n.starts_with(b"wireguard_rs_")).map(Some),
        2 => kapi::kunit::run_module_suites(module, |n| n.starts_with(b"wgrs_bench_")).map(Some),
        _ => {
            pr_err!(
                "selftest={} is not one of 0, 1 (tests), 2 (benchmarks)\n",
                which
            );
            Err(EINVAL)
        }
    }
}

#[cfg(not(CONFIG_KUNIT))]
fn run_selftests(_module: &'static ThisModule, which: u32) -> Result<Option<()>> {
    if which != 0 {
        pr_err!(
            "selftest={}: this module was built without CONFIG_KUNIT\n",
            which
        );
        return Err(EINVAL);
    }
    Ok(None)
}

impl kernel::Module for WireGuardRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // Tests first: a bad `selftest` value fails the load before anything
        // is registered.
        let _selftests = run_selftests(module, module_parameters::selftest.value())?;
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
        pr_info!(
            "WireGuard (Rust) loaded: link kind 'wireguard-rs'{}\n",
            if drop_in.is_some() {
                " and 'wireguard' (drop-in)"
            } else {
                ""
            }
        );
        Ok(WireGuardRs {
            _family: family,
            _drop_in: drop_in,
            _kind: kind,
            _netns: netns,
            #[cfg(CONFIG_KUNIT)]
            _selftests,
            _rcu: kapi::rcu::BarrierOnDrop,
        })
    }
}

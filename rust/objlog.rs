// SPDX-License-Identifier: GPL-2.0

//! Object lines for leak accounting (module parameter `log_objects`).
//!
//! Loaded with `log_objects=1`, the module prints a line to the kernel log
//! when a peer or a keypair is created and when its memory is freed, in
//! the format the C driver prints them when built with
//! `CONFIG_WIREGUARD_DEBUG` (`peer.c`, `noise.c`):
//!
//! ```text
//! wireguard_rs: wg0: Peer 3 created
//! wireguard_rs: wg0: Peer 3 destroyed
//! wireguard_rs: wg0: Keypair 7 created for peer 3
//! wireguard_rs: wg0: Keypair 7 destroyed for peer 3
//! ```
//!
//! The kernel's `netns.sh` ends by pairing these lines from `/dev/kmsg`:
//! every object created must have been destroyed once its namespaces are
//! gone. Peer and keypair numbers count from 1 per module load, as the C
//! driver's `internal_id`s do. Two differences, neither seen by that
//! accounting: the peer's "destroyed" line leaves out the endpoint the C
//! driver prints in parentheses (reading it would take the endpoint's
//! lock wherever the last reference happens to fall), and every line of a
//! peer and of its keypairs carries the name its device had when the peer
//! was created (the C driver prints the name of the moment; they differ
//! only for a device renamed in between), kept in the peer so that the
//! "destroyed" line never needs the device.
//!
//! "Created" is printed as the object is allocated, "destroyed" from its
//! `Drop`, as its memory is freed: an object whose last reference is never
//! given up never prints the second line. Off (the default), nothing is
//! printed and the cost is one relaxed load per object.

use crate::kapi::netdev::NetDevice;
use crate::kapi::print;
use core::sync::atomic::{
    AtomicBool,
    Ordering::Relaxed, //
};

/// Whether the lines are printed (set once, as the module loads).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the lines on or off (at module load, from `log_objects`).
pub(crate) fn set_enabled(on: bool) {
    ENABLED.store(on, Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// `IFNAMSIZ`: a device name with its NUL.
const IFNAMSIZ: usize = 16;

/// A device's name, copied (NUL-padded) for the lines of a peer and its
/// keypairs.
#[derive(Clone, Copy)]
pub(crate) struct DevName([u8; IFNAMSIZ]);

impl DevName {
    /// The name `dev` has now.
    pub(crate) fn of(dev: &NetDevice) -> Self {
        let mut n = [0u8; IFNAMSIZ];
        let b = dev.name().to_bytes();
        let len = b.len().min(IFNAMSIZ - 1);
        n[..len].copy_from_slice(&b[..len]);
        Self(n)
    }

    fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(IFNAMSIZ);
        core::str::from_utf8(&self.0[..len]).unwrap_or("?")
    }
}

/// A peer was allocated.
pub(crate) fn peer_created(dev: &DevName, peer: u64) {
    if enabled() {
        print::debug(format_args!("{}: Peer {} created\n", dev.as_str(), peer));
    }
}

/// A peer's memory is being freed.
pub(crate) fn peer_destroyed(dev: &DevName, peer: u64) {
    if enabled() {
        print::debug(format_args!("{}: Peer {} destroyed\n", dev.as_str(), peer));
    }
}

/// A keypair was allocated.
pub(crate) fn keypair_created(dev: &DevName, keypair: u64, peer: u64) {
    if enabled() {
        print::debug(format_args!(
            "{}: Keypair {} created for peer {}\n",
            dev.as_str(),
            keypair,
            peer
        ));
    }
}

/// A keypair's memory is being freed.
pub(crate) fn keypair_destroyed(dev: &DevName, keypair: u64, peer: u64) {
    if enabled() {
        print::debug(format_args!(
            "{}: Keypair {} destroyed for peer {}\n",
            dev.as_str(),
            keypair,
            peer
        ));
    }
}

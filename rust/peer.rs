// SPDX-License-Identifier: GPL-2.0

//! A peer of a device (the C driver's `peer.c`): its static public key, its
//! handshake state (which holds the preshared key), its endpoint, its
//! keepalive setting and its counters.
//!
//! Peers are shared (`Arc`): the device's peer list, its public-key table
//! and (by address) its AllowedIPs trie all point at them. A removed peer
//! leaves all three under the device's update lock, and its last reference
//! is dropped only after an RCU grace period (see
//! [`crate::device::RemovedPeers`]), which is what the trie's
//! [`AllowedIpsPeer`] contract asks for.

use crate::allowedips::{
    AllowedIpsPeer,
    PeerList, //
};
use crate::messages::NOISE_SYMMETRIC_KEY_LEN;
use crate::noise::{
    Handshake,
    Key,
    PublicKey,
    StaticIdentity, //
};
use core::sync::atomic::{
    AtomicU16,
    AtomicU64,
    Ordering::Relaxed, //
};
use kernel::{
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        Arc,
        Mutex,
        SpinLock, //
    },
};

/// Most peers a device may have (the C driver's `MAX_PEERS_PER_DEVICE`).
pub(crate) const MAX_PEERS_PER_DEVICE: usize = 1 << 20;

/// `AF_INET` and `AF_INET6` from `include/linux/socket.h`.
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
/// `sizeof(struct sockaddr_in)` and `sizeof(struct sockaddr_in6)`.
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;

/// Where a peer was last seen, or was told to be: a `struct sockaddr_in`
/// or `struct sockaddr_in6` kept byte for byte as given (so it dumps back
/// exactly as it was set, as in the C driver).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) enum Endpoint {
    /// Not known yet.
    #[default]
    None,
    /// An IPv4 socket address.
    V4([u8; SOCKADDR_IN_LEN]),
    /// An IPv6 socket address.
    V6([u8; SOCKADDR_IN6_LEN]),
}

impl Endpoint {
    /// Reads a socket address as `WGPEER_A_ENDPOINT` carries it. Like the C
    /// driver, only an exact `sockaddr_in` with `AF_INET` or an exact
    /// `sockaddr_in6` with `AF_INET6` is an endpoint; anything else is
    /// ignored (`None`), not refused.
    pub(crate) fn from_sockaddr(bytes: &[u8]) -> Option<Self> {
        let family = u16::from_ne_bytes(bytes.get(..2)?.try_into().ok()?);
        match (family, bytes.len()) {
            (AF_INET, SOCKADDR_IN_LEN) => Some(Self::V4(bytes.try_into().ok()?)),
            (AF_INET6, SOCKADDR_IN6_LEN) => Some(Self::V6(bytes.try_into().ok()?)),
            _ => None,
        }
    }

    /// The socket address to dump, if there is one.
    pub(crate) fn sockaddr(&self) -> Option<&[u8]> {
        match self {
            Self::None => None,
            Self::V4(b) => Some(b),
            Self::V6(b) => Some(b),
        }
    }

    /// Whether two endpoints name the same address, as the C driver's
    /// `endpoint_eq` decides: family, port and address, plus the scope for
    /// IPv6; padding and the flow label do not count.
    fn same_address(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::None, Self::None) => true,
            // Port and address: bytes 2..8 of a sockaddr_in.
            (Self::V4(a), Self::V4(b)) => a[2..8] == b[2..8],
            // Port (2..4), then address and scope id (8..28).
            (Self::V6(a), Self::V6(b)) => a[2..4] == b[2..4] && a[8..] == b[8..],
            _ => false,
        }
    }
}

/// Time of the last completed handshake, wall clock (`tv_sec`, `tv_nsec`);
/// zero until there is one.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Walltime {
    /// Seconds since the epoch.
    pub(crate) sec: i64,
    /// Nanoseconds.
    pub(crate) nsec: i64,
}

/// One peer of a device.
#[pin_data]
pub(crate) struct Peer {
    /// Creation order within the module (the C driver's `internal_id`);
    /// the device's peer list is sorted by it, which dump cursors use.
    id: u64,
    public_key: PublicKey,
    /// Our prefixes in the device's AllowedIPs table.
    allowedips: PeerList<Peer>,
    #[pin]
    handshake: Mutex<Handshake>,
    #[pin]
    endpoint: SpinLock<Endpoint>,
    #[pin]
    last_handshake: SpinLock<Walltime>,
    persistent_keepalive_interval: AtomicU16,
    rx_bytes: AtomicU64,
    tx_bytes: AtomicU64,
}

impl Peer {
    /// A new peer with static key `public_key` for a device with
    /// `identity`, and `preshared_key` if one is given.
    pub(crate) fn new(
        id: u64,
        identity: &StaticIdentity,
        public_key: &PublicKey,
        preshared_key: Option<&[u8; NOISE_SYMMETRIC_KEY_LEN]>,
    ) -> Result<Arc<Self>> {
        let psk = preshared_key.map_or_else(Key::zero, |k| Key::new(*k));
        Arc::pin_init(
            pin_init!(Self {
                id,
                public_key: *public_key,
                allowedips: PeerList::new(),
                handshake <- new_mutex!(
                    Handshake::new(identity, public_key, &psk),
                    "wireguard_rs_peer_handshake"
                ),
                endpoint <- new_spinlock!(Endpoint::None, "wireguard_rs_peer_endpoint"),
                last_handshake <- new_spinlock!(Walltime::default(), "wireguard_rs_peer_walltime"),
                persistent_keepalive_interval: AtomicU16::new(0),
                rx_bytes: AtomicU64::new(0),
                tx_bytes: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// The peer's position in creation order.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The peer's static public key.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Sets the preshared key (all zeros for none).
    pub(crate) fn set_preshared_key(&self, key: &[u8; NOISE_SYMMETRIC_KEY_LEN]) {
        self.handshake.lock().set_preshared_key(&Key::new(*key));
    }

    /// A copy of the preshared key (zeroed when the copy is dropped).
    pub(crate) fn preshared_key(&self) -> Key {
        self.handshake.lock().preshared_key().clone()
    }

    /// Redoes what depends on the device's private key after it changed.
    pub(crate) fn identity_changed(&self, identity: &StaticIdentity) {
        self.handshake.lock().precompute_static_static(identity);
    }

    /// Points the peer at `endpoint`; an address equal to the current one
    /// (by [`Endpoint::same_address`]) changes nothing, as in the C driver.
    pub(crate) fn set_endpoint(&self, endpoint: Endpoint) {
        let mut cur = self.endpoint.lock();
        if !cur.same_address(&endpoint) {
            *cur = endpoint;
        }
    }

    /// The current endpoint.
    pub(crate) fn endpoint(&self) -> Endpoint {
        *self.endpoint.lock()
    }

    /// Seconds between keepalives sent whether or not there is traffic; 0
    /// for none.
    pub(crate) fn persistent_keepalive_interval(&self) -> u16 {
        self.persistent_keepalive_interval.load(Relaxed)
    }

    /// Sets the persistent keepalive interval; returns the previous one.
    pub(crate) fn set_persistent_keepalive_interval(&self, secs: u16) -> u16 {
        self.persistent_keepalive_interval.swap(secs, Relaxed)
    }

    /// Bytes received from and sent to this peer.
    pub(crate) fn traffic(&self) -> (u64, u64) {
        (self.rx_bytes.load(Relaxed), self.tx_bytes.load(Relaxed))
    }

    /// When the last handshake completed.
    pub(crate) fn last_handshake(&self) -> Walltime {
        *self.last_handshake.lock()
    }
}

// A `Peer` lives in an `Arc` held by its device. The device takes it out of
// its AllowedIPs table (`remove_by_peer`) before it gives up its references,
// and gives them up only after an RCU grace period (`RemovedPeers`), or when
// the device is destroyed and no lookup can run.
// SAFETY: so a peer is freed only after a grace period that follows its
// removal from the table; any other reference only delays the free further.
unsafe impl AllowedIpsPeer for Peer {
    fn allowedips_list(&self) -> &PeerList<Self> {
        &self.allowedips
    }
}

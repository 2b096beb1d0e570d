// SPDX-License-Identifier: GPL-2.0

//! The WireGuard network device: its link kind, its per-device state and
//! its `net_device_ops` (the C driver's `device.c`).

use crate::allowedips::{
    AllowedIps,
    NodeCaches, //
};
use crate::kapi::netdev::{
    LinkDriver,
    Net,
    NetDevice,
    NetDeviceSetup, //
};
use crate::kapi::netns::CreatingNet;
use crate::kapi::rcu;
use crate::kapi::skb::SkBuff;
use crate::messages::{
    MESSAGE_MINIMUM_LENGTH,
    MESSAGE_PADDING_MULTIPLE,
    NOISE_SYMMETRIC_KEY_LEN, //
};
use crate::noise::{
    PublicKey,
    StaticIdentity, //
};
use crate::peer::{
    Peer,
    MAX_PEERS_PER_DEVICE, //
};
use crate::peerlookup::PubkeyTable;
use crate::socket::Sockets;
use core::sync::atomic::{
    AtomicU64,
    Ordering::Relaxed, //
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex,
        MutexGuard, //
    },
};

/// Bytes WireGuard adds around a packet in the worst case: the message
/// header and tag, a UDP header and an IPv6 header (the larger of the two IP
/// headers).
const OVERHEAD: u32 = MESSAGE_MINIMUM_LENGTH + 8 + 40;

/// Default MTU: an Ethernet frame's payload less our overhead (1420).
pub(crate) const DEFAULT_MTU: u32 = 1500 - OVERHEAD;

/// Largest MTU: the largest padded length an `int` holds, less the overhead.
pub(crate) const MAX_MTU: u32 =
    (i32::MAX as u32 / MESSAGE_PADDING_MULTIPLE) * MESSAGE_PADDING_MULTIPLE - OVERHEAD;

/// What a device is configured with, guarded by its update lock (the C
/// driver's `device_update_lock` and the fields it protects).
pub(crate) struct Config {
    /// Generation of the configuration, bumped on every change; dumps use
    /// it to tell userspace when a multi-part dump saw a change.
    pub(crate) update_gen: u32,
    /// Our static key pair.
    pub(crate) identity: StaticIdentity,
    /// UDP port we listen on (or will, once up); 0 for a random one.
    pub(crate) listen_port: u16,
    /// The bound sockets, while the device is up.
    sockets: Option<Sockets>,
    /// Mark put on outgoing UDP packets; 0 for none.
    pub(crate) fwmark: u32,
    /// The peers, in creation order (so sorted by [`Peer::id`]).
    peers: KVec<Arc<Peer>>,
}

impl Config {
    /// The peers, in creation order.
    pub(crate) fn peers(&self) -> &[Arc<Peer>] {
        &self.peers
    }
}

/// Source of peer ids, shared by all devices as in the C driver.
static PEER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Peers taken out of a device, held until an RCU grace period has passed
/// so that lookups that found them in the AllowedIPs trie are done with
/// them (the [`crate::allowedips::AllowedIpsPeer`] contract). One grace
/// period covers every peer removed by one request.
pub(crate) struct RemovedPeers {
    peers: KVec<Arc<Peer>>,
}

impl RemovedPeers {
    /// An empty set with room for `n` peers, so that removing them later
    /// cannot fail for lack of memory.
    pub(crate) fn with_capacity(n: usize) -> Result<Self> {
        Ok(Self {
            peers: KVec::with_capacity(n, GFP_KERNEL)?,
        })
    }

    fn push(&mut self, peer: Arc<Peer>) {
        if let Err(e) = self.peers.push_within_capacity(peer) {
            // More removals than reserved for: wait here instead, so the
            // peer is still released safely.
            rcu::synchronize();
            drop(e);
        }
    }

    fn take_all(&mut self, peers: &mut KVec<Arc<Peer>>) {
        if self.peers.is_empty() {
            core::mem::swap(&mut self.peers, peers);
        } else {
            while let Some(p) = peers.pop() {
                self.push(p);
            }
        }
    }
}

impl Drop for RemovedPeers {
    fn drop(&mut self) {
        if !self.peers.is_empty() {
            rcu::synchronize();
        }
    }
}

/// The state of one WireGuard interface, kept in its `net_device`.
///
/// Field order is drop order: the trie goes first, while the peers its
/// nodes point at are still alive (when a device is destroyed no lookup
/// can run any more, so no grace period is needed).
#[pin_data]
pub(crate) struct Device {
    #[pin]
    allowedips: AllowedIps<Peer>,
    #[pin]
    pubkeys: PubkeyTable<Arc<Peer>>,
    #[pin]
    config: Mutex<Config>,
    /// Where the sockets live, whatever namespace the device moves to.
    #[pin]
    creating_net: CreatingNet,
}

impl Device {
    /// Whether the caller may change what lives in the creating namespace
    /// (listen port, fwmark): it must still exist and the caller needs
    /// `CAP_NET_ADMIN` there, as in the C driver. Call under RTNL.
    pub(crate) fn may_configure_sockets(&self) -> bool {
        self.creating_net
            .get()
            .is_some_and(|net| net.net().net_admin_capable())
    }

    /// Binds new sockets to `port` in the creating namespace (`ENONET` if
    /// it is gone), without installing them. Call under RTNL.
    pub(crate) fn bind(&self, port: u16) -> Result<Sockets> {
        let net = self.creating_net.get().ok_or(ENONET)?;
        Sockets::bind(net.net(), port)
    }

    /// Makes `sockets` the device's sockets, closing the old ones.
    pub(crate) fn install_sockets(cfg: &mut Config, sockets: Sockets) {
        cfg.listen_port = sockets.port();
        cfg.sockets = Some(sockets);
    }

    /// The creating namespace is going away: the sockets go with it (the
    /// C driver's `wg_netns_exit_rtnl`). Runs under RTNL.
    fn creating_net_exit(dev: &NetDevice) {
        dev.carrier_off();
        if let Some(wg) = dev.driver_data::<Device>() {
            wg.config().sockets = None;
        }
    }

    /// Takes the update lock.
    pub(crate) fn config(&self) -> MutexGuard<'_, Config> {
        self.config.lock()
    }

    /// The AllowedIPs table; change it only under the update lock.
    pub(crate) fn allowedips(&self) -> &AllowedIps<Peer> {
        &self.allowedips
    }

    /// The peer with static key `key`.
    pub(crate) fn lookup_peer(&self, key: &PublicKey) -> Option<Arc<Peer>> {
        self.pubkeys.lookup(key)
    }

    /// Adds a peer (the caller checked that `key` is not taken). `ENOMEM`
    /// when the device has [`MAX_PEERS_PER_DEVICE`] peers already, as in
    /// the C driver.
    pub(crate) fn create_peer(
        &self,
        cfg: &mut Config,
        key: &PublicKey,
        psk: Option<&[u8; NOISE_SYMMETRIC_KEY_LEN]>,
    ) -> Result<Arc<Peer>> {
        if cfg.peers.len() >= MAX_PEERS_PER_DEVICE {
            return Err(ENOMEM);
        }
        cfg.peers.reserve(1, GFP_KERNEL)?;
        let id = PEER_COUNTER.fetch_add(1, Relaxed) + 1;
        let peer = Peer::new(id, &cfg.identity, key, psk)?;
        if !self.pubkeys.add(key, peer.clone())? {
            return Err(EEXIST);
        }
        // Cannot fail: room was reserved above.
        if let Err(e) = cfg.peers.push_within_capacity(peer.clone()) {
            self.pubkeys.remove(key);
            drop(e);
            return Err(ENOMEM);
        }
        Ok(peer)
    }

    /// Takes `peer` out of the device: the public-key table, the trie and
    /// the peer list. It is released by `removed` after a grace period.
    pub(crate) fn remove_peer(&self, cfg: &mut Config, peer: &Peer, removed: &mut RemovedPeers) {
        self.pubkeys.remove(peer.public_key());
        self.allowedips.remove_by_peer(peer);
        if let Ok(i) = cfg.peers.binary_search_by_key(&peer.id(), |p| p.id()) {
            if let Ok(p) = cfg.peers.remove(i) {
                removed.push(p);
            }
        }
    }

    /// Takes every peer out of the device (`WGDEVICE_F_REPLACE_PEERS`).
    pub(crate) fn remove_all_peers(&self, cfg: &mut Config, removed: &mut RemovedPeers) {
        for p in cfg.peers.iter() {
            self.pubkeys.remove(p.public_key());
            self.allowedips.remove_by_peer(p);
        }
        removed.take_all(&mut cfg.peers);
    }
}

impl LinkDriver for Device {
    /// The module's AllowedIPs node caches.
    type Context = Arc<NodeCaches>;

    fn setup(dev: &mut NetDeviceSetup<'_>) {
        dev.set_point_to_point_l3();
        dev.set_wireguard_devtype();
        dev.set_mtu(DEFAULT_MTU, MAX_MTU);
        dev.use_tstats();
    }

    fn newlink(
        dev: &NetDevice,
        caches: &Arc<NodeCaches>,
        link_net: &Net,
    ) -> impl PinInit<Self, Error> {
        pr_debug!(
            "{}: interface created\n",
            dev.name().to_str().unwrap_or("?")
        );
        try_pin_init!(Device {
            allowedips <- AllowedIps::new(caches.clone()),
            pubkeys <- PubkeyTable::new(),
            config <- new_mutex!(
                Config {
                    update_gen: 1,
                    identity: StaticIdentity::new(),
                    listen_port: 0,
                    fwmark: 0,
                    peers: KVec::new(),
                    sockets: None,
                },
                "wireguard_rs_device_update"
            ),
            creating_net <- CreatingNet::new(link_net, Device::creating_net_exit),
        }? Error)
    }

    fn registered(dev: &NetDevice, this: Pin<&Self>) {
        this.creating_net.watch(dev);
    }

    fn open(_dev: &NetDevice, this: &Self) -> Result {
        let mut cfg = this.config();
        let sockets = this.bind(cfg.listen_port)?;
        Device::install_sockets(&mut cfg, sockets);
        Ok(())
    }

    fn stop(_dev: &NetDevice, this: &Self) -> Result {
        this.config().sockets = None;
        Ok(())
    }

    fn start_xmit(dev: &NetDevice, _this: &Self, skb: SkBuff) {
        // This driver sends nothing yet: every packet is counted as a
        // transmit error (as the C driver counts a packet it cannot send)
        // and dropped.
        dev.count_tx_error();
        drop(skb);
    }
}

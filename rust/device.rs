// SPDX-License-Identifier: GPL-2.0

//! The WireGuard network device: its link kind, its per-device state and
//! its `net_device_ops` (the C driver's `device.c`).
//!
//! A device's state ([`Wg`]) is shared (`Arc`): the `net_device` holds it
//! through [`Device`], and so do its peers, its sockets (as their
//! receiver) and handshake jobs in flight. Taking the device down
//! ([`Device`]'s drop, when the `net_device` is freed) closes the sockets,
//! removes every peer, drains the queues and destroys the workqueues, so
//! that the last reference falls there, in process context.

use crate::allowedips::{
    AllowedIps,
    NodeCaches, //
};
use crate::cookie::CookieChecker;
use crate::kapi::netdev::{
    LinkDriver,
    Net,
    NetDevHandle,
    NetDevice,
    NetDeviceSetup, //
};
use crate::kapi::netns::CreatingNet;
use crate::kapi::rcu::{
    self,
    RcuBox,
    ReadGuard, //
};
use crate::kapi::skb::SkBuff;
use crate::kapi::time;
use crate::kapi::workqueue::{
    flags,
    WorkQueue, //
};
use crate::keypairs::Keypair;
use crate::messages::{
    MAX_QUEUED_INCOMING_HANDSHAKES,
    MAX_QUEUED_PACKETS,
    MESSAGE_DATA_HEADER_LEN,
    MESSAGE_MINIMUM_LENGTH,
    MESSAGE_PADDING_MULTIPLE,
    NOISE_AUTHTAG_LEN,
    NOISE_SYMMETRIC_KEY_LEN, //
};
use crate::noise::{
    PublicKey,
    StaticIdentity, //
};
use crate::objlog::DevName;
use crate::peer::{
    Peer,
    MAX_PEERS_PER_DEVICE, //
};
use crate::peerlookup::{
    IndexTable,
    PubkeyTable, //
};
use crate::queueing::{
    CryptQueue,
    Job,
    JobRef,
    QueueItem, //
};
use crate::ratelimiter::Ratelimiter;
use crate::receive::{
    HandshakeJob,
    RxPacket, //
};
use crate::routing::{
    PeerSelect,
    SourceCheck, //
};
use crate::send::TxBatch;
use crate::socket::Sockets;
use core::sync::atomic::{
    AtomicIsize,
    AtomicU32,
    AtomicU64,
    AtomicU8,
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

/// Headroom a packet needs in front of it: our message header, UDP, IPv6
/// and link-layer headers (the C driver's `DATA_PACKET_HEAD_ROOM`, with
/// the kernel's 16-byte alignment slack).
pub(crate) const DATA_PACKET_HEAD_ROOM: u32 =
    (MESSAGE_DATA_HEADER_LEN as u32 + 8 + 40 + 16 + 15) & !15;

/// Tailroom for padding and the tag.
const TAILROOM: u32 = MESSAGE_PADDING_MULTIPLE + NOISE_AUTHTAG_LEN as u32;

/// What every device of the module shares.
pub(crate) struct Shared {
    /// The AllowedIPs node caches.
    pub(crate) caches: Arc<NodeCaches>,
    /// The handshake rate limiter (per source and namespace, as in the C
    /// driver, whose limiter is global too).
    pub(crate) ratelimiter: Pin<KBox<Ratelimiter>>,
}

/// What a device is configured with, guarded by its update lock (the C
/// driver's `device_update_lock` and the fields it protects).
pub(crate) struct Config {
    /// Generation of the configuration, bumped on every change; dumps use
    /// it to tell userspace when a multi-part dump saw a change.
    pub(crate) update_gen: u32,
    /// UDP port we listen on (or will, once up); 0 for a random one.
    pub(crate) listen_port: u16,
    /// The peers, in creation order (so sorted by [`Peer::id`]).
    peers: KVec<Arc<Peer>>,
}

impl Config {
    /// The peers, in creation order.
    pub(crate) fn peers(&self) -> &[Arc<Peer>] {
        &self.peers
    }
}

/// The device's own keys: its static identity and the cookie checker keyed
/// from it (the C driver's `static_identity` with its lock, and
/// `cookie_checker`). Handshake workers take this lock, not the update
/// lock, so a long configuration change does not stall handshakes.
pub(crate) struct DeviceKeys {
    /// Our static key pair.
    pub(crate) identity: StaticIdentity,
    /// MAC and cookie state for incoming handshake messages.
    pub(crate) checker: CookieChecker,
}

/// An entry of the index table: a handshake in progress or a session.
#[derive(Clone)]
pub(crate) enum IndexEntry {
    /// A handshake of this peer.
    Handshake(Arc<Peer>),
    /// A session.
    Keypair(Arc<Keypair>),
}

/// The device's workqueues (the C driver's three).
pub(crate) struct Workqueues {
    /// Incoming handshake messages (per CPU).
    pub(crate) handshake_receive: WorkQueue,
    /// Outgoing handshake initiations and key zeroing.
    pub(crate) handshake_send: WorkQueue,
    /// Encryption, decryption and in-order transmission (per CPU).
    pub(crate) crypt: WorkQueue,
}

/// Source of peer ids, shared by all devices as in the C driver.
static PEER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Peers taken out of a device, stopped and released once an RCU grace
/// period has passed, so that lookups that found them (in the AllowedIPs
/// trie or the index table) are done with them (the
/// [`crate::allowedips::AllowedIpsPeer`] contract). One grace period covers
/// every peer removed by one request.
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
            // More removals than reserved for: finish this one here instead.
            rcu::synchronize();
            let peer = e.0;
            peer.stop();
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
        if self.peers.is_empty() {
            return;
        }
        rcu::synchronize();
        for p in self.peers.iter() {
            p.stop();
        }
    }
}

/// The state of one WireGuard interface (the C driver's `wg_device`).
#[pin_data]
pub(crate) struct Wg {
    /// The `net_device`, while it exists.
    pub(crate) dev: NetDevHandle,
    shared: Arc<Shared>,
    #[pin]
    allowedips: AllowedIps<Peer>,
    #[pin]
    pubkeys: PubkeyTable<Arc<Peer>>,
    #[pin]
    pub(crate) index: IndexTable<IndexEntry>,
    #[pin]
    config: Mutex<Config>,
    #[pin]
    pub(crate) keys: Mutex<DeviceKeys>,
    /// Where the sockets live, whatever namespace the device moves to.
    #[pin]
    creating_net: CreatingNet,
    /// Mark put on outgoing UDP packets; 0 for none (set under the update
    /// lock, read when sending).
    fwmark: AtomicU32,
    /// How outgoing packets find their peer ([`PeerSelect`] as a `u8`; set
    /// under the update lock, read per packet).
    peer_select: AtomicU8,
    /// Which inner sources are accepted ([`SourceCheck`] as a `u8`).
    source_check: AtomicU8,
    /// The bound sockets, while the device is up.
    pub(crate) sockets: RcuBox<Sockets>,
    wqs: RcuBox<Arc<Workqueues>>,
    pub(crate) encrypt_queue: CryptQueue<JobRef<TxBatch>>,
    pub(crate) decrypt_queue: CryptQueue<JobRef<RxPacket>>,
    pub(crate) handshake_queue: CryptQueue<HandshakeJob>,
    /// Handshake messages queued (the load measure; briefly off by one
    /// while a message is being queued or was just drained).
    pub(crate) handshake_queue_len: AtomicIsize,
    /// When the device was last under load (0: not recently).
    pub(crate) last_under_load: AtomicU64,
    /// When the rate limiter was last garbage-collected.
    pub(crate) ratelimiter_gc: AtomicU64,
}

impl Wg {
    /// The mark for outgoing packets.
    pub(crate) fn fwmark(&self) -> u32 {
        self.fwmark.load(Relaxed)
    }

    /// How outgoing packets find their peer.
    pub(crate) fn peer_select(&self) -> PeerSelect {
        PeerSelect::from_u8(self.peer_select.load(Relaxed)).unwrap_or(PeerSelect::AllowedIps)
    }

    /// Which inner sources are accepted from a peer.
    pub(crate) fn source_check(&self) -> SourceCheck {
        SourceCheck::from_u8(self.source_check.load(Relaxed)).unwrap_or(SourceCheck::AllowedIps)
    }

    /// Sets how outgoing packets find their peer (under the update lock).
    pub(crate) fn set_peer_select(&self, _cfg: &mut Config, mode: PeerSelect) {
        self.peer_select.store(mode as u8, Relaxed);
    }

    /// Sets which inner sources are accepted (under the update lock).
    pub(crate) fn set_source_check(&self, _cfg: &mut Config, mode: SourceCheck) {
        self.source_check.store(mode as u8, Relaxed);
    }

    /// The handshake rate limiter.
    pub(crate) fn ratelimiter(&self) -> &Ratelimiter {
        &self.shared.ratelimiter
    }

    /// Runs `f` with the workqueues (inside an RCU read-side section: `f`
    /// must not sleep), unless the device is being torn down.
    pub(crate) fn with_wqs<R>(&self, f: impl FnOnce(&Workqueues) -> R) -> Option<R> {
        let g = ReadGuard::new();
        self.wqs(&g).map(f)
    }

    /// The workqueues, for as long as the read-side section `g` lasts,
    /// unless the device is being torn down.
    pub(crate) fn wqs<'a>(&'a self, g: &'a ReadGuard) -> Option<&'a Workqueues> {
        self.wqs.get(g).map(|w| &**w)
    }

    /// The workqueues, held (process context, to wait on them).
    fn wqs_held(&self) -> Option<Arc<Workqueues>> {
        let g = ReadGuard::new();
        self.wqs.get(&g).cloned()
    }

    /// Waits for everything queued on the crypt workqueue so far.
    pub(crate) fn flush_crypt(&self) {
        if let Some(w) = self.wqs_held() {
            w.crypt.flush();
        }
    }

    /// Waits for everything queued on the handshake-send workqueue so far.
    pub(crate) fn flush_handshake_send(&self) {
        if let Some(w) = self.wqs_held() {
            w.handshake_send.flush();
        }
    }

    /// Takes a session's index out of the index table (if it still points
    /// at this keypair).
    pub(crate) fn unindex_keypair(&self, kp: &Arc<Keypair>) {
        self.index.remove_if(
            kp.local_index,
            |e| matches!(e, IndexEntry::Keypair(k) if Arc::ptr_eq(k, kp)),
        );
    }

    /// Takes a handshake's index out of the index table (if it still
    /// belongs to `peer`'s handshake).
    pub(crate) fn unindex_handshake(&self, index: u32, peer: &Peer) {
        self.index.remove_if(
            index,
            |e| matches!(e, IndexEntry::Handshake(p) if core::ptr::eq(Arc::as_ptr(p), peer)),
        );
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

    /// Whether the caller may change what lives in the creating namespace
    /// (listen port, fwmark): it must still exist and the caller needs
    /// `CAP_NET_ADMIN` there, as in the C driver. Call under RTNL.
    pub(crate) fn may_configure_sockets(&self) -> bool {
        self.creating_net
            .get()
            .is_some_and(|net| net.net().net_admin_capable())
    }

    /// Sets the mark for outgoing packets (under the update lock).
    pub(crate) fn set_fwmark(&self, _cfg: &mut Config, mark: u32) {
        self.fwmark.store(mark, Relaxed);
        for p in _cfg.peers.iter() {
            p.endpoint.lock().cache.reset();
        }
    }

    /// Makes `sockets` the device's sockets, closing the old ones.
    pub(crate) fn install_sockets(&self, cfg: &mut Config, sockets: Option<Sockets>) {
        if let Some(s) = &sockets {
            cfg.listen_port = s.port();
        }
        drop(
            self.sockets
                .replace(sockets.and_then(|s| KBox::new(s, GFP_KERNEL).ok())),
        );
    }

    /// Adds a peer (the caller checked that `key` is not taken). `ENOMEM`
    /// when the device has [`MAX_PEERS_PER_DEVICE`] peers already, as in
    /// the C driver.
    pub(crate) fn create_peer(
        self: &Arc<Self>,
        cfg: &mut Config,
        dev: &NetDevice,
        key: &PublicKey,
        psk: Option<&[u8; NOISE_SYMMETRIC_KEY_LEN]>,
    ) -> Result<Arc<Peer>> {
        if cfg.peers.len() >= MAX_PEERS_PER_DEVICE {
            return Err(ENOMEM);
        }
        cfg.peers.reserve(1, GFP_KERNEL)?;
        let id = PEER_COUNTER.fetch_add(1, Relaxed) + 1;
        let peer = {
            let keys = self.keys.lock();
            Peer::new(self, DevName::of(dev), id, &keys.identity, key, psk)?
        };
        if !self.pubkeys.add(key, peer.clone())? {
            return Err(EEXIST);
        }
        // Cannot fail: room was reserved above.
        if let Err(e) = cfg.peers.push_within_capacity(peer.clone()) {
            self.pubkeys.remove(key);
            drop(e);
            return Err(ENOMEM);
        }
        Peer::start(&peer, dev);
        Ok(peer)
    }

    /// Takes `peer` out of the device: the public-key table, the trie and
    /// the peer list. It is stopped and released by `removed` after a
    /// grace period.
    pub(crate) fn remove_peer(&self, cfg: &mut Config, peer: &Peer, removed: &mut RemovedPeers) {
        self.pubkeys.remove(peer.public_key());
        self.allowedips.remove_by_peer(peer);
        peer.make_dead();
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
            p.make_dead();
        }
        removed.take_all(&mut cfg.peers);
    }

    /// The creating namespace is going away: the sockets go with it (the
    /// C driver's `wg_netns_exit_rtnl`). Runs under RTNL.
    fn creating_net_exit(dev: &NetDevice) {
        dev.carrier_off();
        if let Some(wg) = dev.driver_data::<Device>() {
            let mut cfg = wg.config();
            wg.install_sockets(&mut cfg, None);
            for p in cfg.peers.iter() {
                crate::socket::clear_endpoint_source(p);
            }
        }
    }

    /// Binds new sockets to `port` in the creating namespace (`ENONET` if
    /// it is gone), without installing them. Call under RTNL.
    pub(crate) fn bind(self: &Arc<Self>, port: u16) -> Result<Sockets> {
        let net = self.creating_net.get().ok_or(ENONET)?;
        Sockets::bind(net.net(), port, self)
    }
}

impl QueueItem for JobRef<TxBatch> {
    fn run(self) {
        crate::send::encrypt_job(&self);
    }
}

impl QueueItem for JobRef<RxPacket> {
    fn run(self) {
        crate::receive::decrypt_job(&self, false);
    }

    fn queued_at(&self) -> Option<u64> {
        Job::<RxPacket>::queued_at(self)
    }

    fn run_dropped(self) {
        crate::receive::drop_late_job(&self);
    }

    fn ecn_capable(&self) -> bool {
        Job::<RxPacket>::ecn_capable(self)
    }

    fn run_marked(self) {
        crate::receive::decrypt_job(&self, true);
    }
}

impl QueueItem for HandshakeJob {
    fn run(self) {
        crate::receive::handshake_job(self);
    }
}

/// The private data of a WireGuard `net_device`.
#[pin_data(PinnedDrop)]
pub(crate) struct Device {
    wg: Arc<Wg>,
}

impl core::ops::Deref for Device {
    type Target = Arc<Wg>;

    fn deref(&self) -> &Arc<Wg> {
        &self.wg
    }
}

#[pinned_drop]
impl PinnedDrop for Device {
    /// The device is being freed (process context, no lock held): take it
    /// down as the C driver's `wg_destruct` does.
    fn drop(self: Pin<&mut Self>) {
        let wg = &self.wg;
        drop(wg.sockets.replace(None));
        {
            let mut cfg = wg.config();
            let mut removed = RemovedPeers { peers: KVec::new() };
            wg.remove_all_peers(&mut cfg, &mut removed);
            drop(removed);
        }
        drop(wg.handshake_queue.drain());
        drop(wg.encrypt_queue.drain());
        drop(wg.decrypt_queue.drain());
        drop(wg.wqs.replace(None));
        // Values freed by the tables' RCU callbacks hold peers.
        kernel::sync::rcu::rcu_barrier();
        pr_debug!("interface destroyed\n");
    }
}

fn workqueues(name: &CStr) -> Result<Workqueues> {
    Ok(Workqueues {
        handshake_receive: WorkQueue::new(
            name,
            flags::CPU_INTENSIVE | flags::FREEZABLE | flags::PERCPU,
        )?,
        handshake_send: WorkQueue::new(name, flags::UNBOUND | flags::FREEZABLE)?,
        crypt: WorkQueue::new(
            name,
            flags::CPU_INTENSIVE | flags::MEM_RECLAIM | flags::PERCPU,
        )?,
    })
}

impl LinkDriver for Device {
    /// What the module's devices share.
    type Context = Arc<Shared>;

    fn setup(dev: &mut NetDeviceSetup<'_>) {
        dev.set_point_to_point_l3();
        dev.set_wireguard_devtype();
        dev.set_mtu(DEFAULT_MTU, MAX_MTU);
        dev.set_tunnel_offloads(DATA_PACKET_HEAD_ROOM, TAILROOM);
        dev.use_tstats();
    }

    fn newlink(
        dev: &NetDevice,
        handle: &NetDevHandle,
        shared: &Arc<Shared>,
        link_net: &Net,
    ) -> impl PinInit<Self, Error> {
        let name = dev.name();
        // As the C driver: each peer's NAPI polls in a thread of its own,
        // which the scheduler spreads over the CPUs.
        dev.enable_threaded_napi();
        let wg = (|| -> Result<Arc<Wg>> {
            let wqs = KBox::new(Arc::new(workqueues(name)?, GFP_KERNEL)?, GFP_KERNEL)?;
            let encrypt_queue = CryptQueue::new(MAX_QUEUED_PACKETS)?;
            let decrypt_queue = CryptQueue::new(MAX_QUEUED_PACKETS)?;
            let handshake_queue = CryptQueue::new(MAX_QUEUED_INCOMING_HANDSHAKES)?;
            let wg = Arc::pin_init(
                try_pin_init!(Wg {
                    dev: handle.clone(),
                    shared: shared.clone(),
                    allowedips <- AllowedIps::new(shared.caches.clone()),
                    pubkeys <- PubkeyTable::new(),
                    index <- IndexTable::new(),
                    config <- new_mutex!(
                        Config {
                            update_gen: 1,
                            listen_port: 0,
                            peers: KVec::new(),
                        },
                        "wireguard_rs_device_update"
                    ),
                    keys <- new_mutex!(
                        DeviceKeys {
                            identity: StaticIdentity::new(),
                            checker: CookieChecker::new(time::boottime_coarse_ns()),
                        },
                        "wireguard_rs_device_keys"
                    ),
                    creating_net <- CreatingNet::new(link_net, Wg::creating_net_exit),
                    fwmark: AtomicU32::new(0),
                    peer_select: AtomicU8::new(PeerSelect::AllowedIps as u8),
                    source_check: AtomicU8::new(SourceCheck::AllowedIps as u8),
                    sockets: RcuBox::new(),
                    wqs: RcuBox::new(),
                    encrypt_queue,
                    decrypt_queue,
                    handshake_queue,
                    handshake_queue_len: AtomicIsize::new(0),
                    last_under_load: AtomicU64::new(0),
                    ratelimiter_gc: AtomicU64::new(0),
                }? Error),
                GFP_KERNEL,
            )?;
            drop(wg.wqs.replace(Some(wqs)));
            Ok(wg)
        })();
        pr_debug!("{}: interface created\n", name.to_str().unwrap_or("?"));
        try_pin_init!(Device { wg: wg? }? Error)
    }

    fn registered(dev: &NetDevice, this: Pin<&Self>) {
        this.wg.creating_net.watch(dev);
    }

    fn open(dev: &NetDevice, this: &Self) -> Result {
        dev.disable_redirects_and_addrgen();
        let wg = &this.wg;
        let mut cfg = wg.config();
        let sockets = wg.bind(cfg.listen_port)?;
        wg.install_sockets(&mut cfg, Some(sockets));
        for p in cfg.peers.iter() {
            crate::send::send_staged(p);
            if p.persistent_keepalive_interval() != 0 {
                crate::send::send_keepalive(p);
            }
        }
        Ok(())
    }

    fn stop(_dev: &NetDevice, this: &Self) -> Result {
        let wg = &this.wg;
        {
            let cfg = wg.config();
            for p in cfg.peers.iter() {
                p.purge_staged();
                crate::timers::stop(p);
                p.clear_handshake();
                p.clear_keypairs();
                p.reset_last_sent_handshake();
            }
        }
        for job in wg.handshake_queue.drain() {
            drop(job);
        }
        wg.handshake_queue_len.store(0, Relaxed);
        let mut cfg = wg.config();
        wg.install_sockets(&mut cfg, None);
        Ok(())
    }

    fn uninit(_dev: &NetDevice, this: &Self) {
        // The creating namespace's exit hook must not find the device
        // from here on: the destructor runs after the core's last check
        // of the device's references, and a carrier change the hook made
        // then would hand linkwatch a reference to a device being freed
        // (the C driver unlists in wg_destruct, under RTNL, as its hook
        // takes RTNL too; ours unlists earlier, as unregistration starts).
        // The sockets in that namespace went in `stop`, which the core
        // called before this.
        this.wg.creating_net.unwatch();
    }

    fn start_xmit(dev: &NetDevice, this: &Self, skb: SkBuff) {
        crate::send::xmit(&this.wg, dev, skb);
    }
}

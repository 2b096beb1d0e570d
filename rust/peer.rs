// SPDX-License-Identifier: GPL-2.0

//! A peer of a device (the C driver's `peer.c`): its static public key,
//! handshake state, keypairs, endpoint, queues, NAPI context, timers and
//! counters, and how it is taken down.
//!
//! Peers are shared (`Arc`): the device's peer list, its public-key table,
//! its index table (through handshakes and keypairs) and (by address) its
//! AllowedIPs trie point at them, and so do jobs in flight, queued work,
//! and, while the peer is live, its NAPI context and timers. Removal
//! ([`Peer::make_dead`], then [`Peer::stop`] after a grace period) takes
//! the peer out of every table and stops everything that could still reach
//! it; its memory goes with the last reference.

use crate::allowedips::{
    AllowedIpsPeer,
    PeerList, //
};
use crate::cookie::Cookie;
use crate::device::{
    IndexEntry,
    Wg, //
};
use crate::kapi::napi::{
    impl_has_napi,
    Napi,
    NapiPoll,
    NapiPoller, //
};
use crate::kapi::netdev::NetDevice;
use crate::kapi::skb::SkbList;
use crate::kapi::sync::{
    new_spinlock_bh,
    SpinLockBh, //
};
use crate::kapi::timer::{
    impl_has_timer,
    Timer,
    TimerCallback, //
};
use crate::kapi::udp::DstCache;
use crate::kapi::workqueue::cpu;
use crate::keypairs::{
    Keypair,
    Keypairs, //
};
use crate::messages::{
    MAX_QUEUED_PACKETS,
    NOISE_SYMMETRIC_KEY_LEN, //
};
use crate::objlog::{
    self,
    DevName, //
};
use crate::noise::{
    Handshake,
    Key,
    PublicKey,
    StaticIdentity, //
};
use crate::queueing::{
    PeerQueue,
    INLINE_MIN_GAP_NS, //
};
use crate::receive::RxPacket;
use crate::send::TxBatch;
use crate::timers::{
    TIMER_NEW_HANDSHAKE,
    TIMER_PERSISTENT_KEEPALIVE,
    TIMER_RETRANSMIT_HANDSHAKE,
    TIMER_SEND_KEEPALIVE,
    TIMER_ZERO_KEY_MATERIAL, //
};
use core::sync::atomic::{
    AtomicBool, AtomicU16, AtomicU32, AtomicU64,
    Ordering::{
        Acquire,
        Relaxed,
        Release, //
    },
};
use kernel::{
    impl_has_work, new_mutex, new_work,
    prelude::*,
    static_lock_class,
    sync::{
        Arc,
        Mutex, //
    },
    workqueue::{
        Work,
        WorkItem, //
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

    /// An IPv4 endpoint: address and port in network order.
    pub(crate) fn v4(addr: [u8; 4], port: [u8; 2]) -> Self {
        let mut sa = [0u8; SOCKADDR_IN_LEN];
        sa[..2].copy_from_slice(&AF_INET.to_ne_bytes());
        sa[2..4].copy_from_slice(&port);
        sa[4..8].copy_from_slice(&addr);
        Self::V4(sa)
    }

    /// An IPv6 endpoint: address and port in network order, scope id.
    pub(crate) fn v6(addr: [u8; 16], port: [u8; 2], scope_id: u32) -> Self {
        let mut sa = [0u8; SOCKADDR_IN6_LEN];
        sa[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
        sa[2..4].copy_from_slice(&port);
        sa[8..24].copy_from_slice(&addr);
        sa[24..28].copy_from_slice(&scope_id.to_ne_bytes());
        Self::V6(sa)
    }

    /// The socket address to dump, if there is one.
    pub(crate) fn sockaddr(&self) -> Option<&[u8]> {
        match self {
            Self::None => None,
            Self::V4(b) => Some(b),
            Self::V6(b) => Some(b),
        }
    }

    /// The port, network order.
    pub(crate) fn port(&self) -> [u8; 2] {
        match self {
            Self::None => [0; 2],
            Self::V4(b) => [b[2], b[3]],
            Self::V6(b) => [b[2], b[3]],
        }
    }

    /// The IPv4 address, network order.
    pub(crate) fn addr4(&self) -> Option<[u8; 4]> {
        match self {
            Self::V4(b) => Some([b[4], b[5], b[6], b[7]]),
            _ => None,
        }
    }

    /// The IPv6 address and scope id.
    pub(crate) fn addr6(&self) -> Option<([u8; 16], u32)> {
        match self {
            Self::V6(b) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&b[8..24]);
                Some((a, u32::from_ne_bytes([b[24], b[25], b[26], b[27]])))
            }
            _ => None,
        }
    }

    /// Whether two endpoints name the same address, as the C driver's
    /// `endpoint_eq` decides: family, port and address, plus the scope for
    /// IPv6; padding and the flow label do not count.
    pub(crate) fn same_address(&self, other: &Self) -> bool {
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

/// The local side we last received a peer's packets on: the address they
/// were sent to and (IPv4) the interface, which we send from in turn (a
/// "sticky" source), until it goes stale.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) struct EndpointSource {
    /// IPv4 source address (zero: let routing choose).
    pub(crate) src4: [u8; 4],
    /// Interface the IPv4 source belongs to (0: any).
    pub(crate) src_if4: i32,
    /// IPv6 source address (zero: let routing choose).
    pub(crate) src6: [u8; 16],
}

/// The endpoint with its sticky source and route cache (the C driver's
/// `endpoint` and `endpoint_cache`, under `endpoint_lock`).
pub(crate) struct EndpointState {
    /// Where to send.
    pub(crate) addr: Endpoint,
    /// What to send from.
    pub(crate) source: EndpointSource,
    /// The route last used, with the source it was made with.
    pub(crate) cache: DstCache,
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

/// A peer's handshake and the receiver index it holds in the device's
/// index table while one is in progress.
pub(crate) struct PeerHandshake {
    /// The Noise state.
    pub(crate) hs: Handshake,
    /// Our index of the handshake in progress, if it is in the table.
    pub(crate) index: Option<u32>,
}

/// A boot time longer than `REKEY_TIMEOUT` ago (wrapping below zero early
/// after boot, as the timestamps compare in signed arithmetic).
fn long_ago() -> u64 {
    crate::kapi::time::boottime_coarse_ns()
        .wrapping_sub((crate::messages::REKEY_TIMEOUT + 1) * 1_000_000_000)
}

/// Work items of a peer.
pub(crate) const WORK_HANDSHAKE_SEND: u64 = 0;
/// See [`WORK_HANDSHAKE_SEND`].
pub(crate) const WORK_TX: u64 = 1;
/// See [`WORK_HANDSHAKE_SEND`].
pub(crate) const WORK_CLEAR_KEYS: u64 = 2;

/// One peer of a device.
#[pin_data(PinnedDrop)]
pub(crate) struct Peer {
    /// Creation order within the module (the C driver's `internal_id`);
    /// the device's peer list is sorted by it, which dump cursors use.
    id: u64,
    /// The device's name when the peer was created, for the lines of
    /// [`objlog`] (`log_objects=1`) of the peer and its keypairs.
    name: DevName,
    public_key: PublicKey,
    /// The device the peer belongs to.
    pub(crate) device: Arc<Wg>,
    /// Our prefixes in the device's AllowedIPs table.
    allowedips: PeerList<Peer>,
    #[pin]
    pub(crate) handshake: Mutex<PeerHandshake>,
    /// The latest cookie the peer gave us and the MACs of what we sent it.
    #[pin]
    pub(crate) cookie: Mutex<Cookie>,
    #[pin]
    pub(crate) keypairs: SpinLockBh<Keypairs<Keypair>>,
    #[pin]
    pub(crate) endpoint: SpinLockBh<EndpointState>,
    /// Whether `endpoint` holds an address (set with it).
    has_endpoint: AtomicBool,
    /// Packets waiting for a session (at most `MAX_STAGED_PACKETS`).
    #[pin]
    pub(crate) staged: SpinLockBh<SkbList>,
    #[pin]
    pub(crate) tx_queue: PeerQueue<TxBatch>,
    /// Held by whoever sends the peer's encrypted packets: the transmit
    /// worker, or a sender that encrypts a small packet itself when
    /// nothing is queued ahead of it (which only ever tries it).
    #[pin]
    pub(crate) tx_order: SpinLockBh<()>,
    #[pin]
    pub(crate) rx_queue: PeerQueue<RxPacket>,
    #[pin]
    pub(crate) napi: Napi<Peer>,
    #[pin]
    pub(crate) timer_retransmit_handshake: Timer<Peer, TIMER_RETRANSMIT_HANDSHAKE>,
    #[pin]
    pub(crate) timer_send_keepalive: Timer<Peer, TIMER_SEND_KEEPALIVE>,
    #[pin]
    pub(crate) timer_new_handshake: Timer<Peer, TIMER_NEW_HANDSHAKE>,
    #[pin]
    pub(crate) timer_zero_key_material: Timer<Peer, TIMER_ZERO_KEY_MATERIAL>,
    #[pin]
    pub(crate) timer_persistent_keepalive: Timer<Peer, TIMER_PERSISTENT_KEEPALIVE>,
    #[pin]
    handshake_work: Work<Peer, WORK_HANDSHAKE_SEND>,
    #[pin]
    tx_work: Work<Peer, WORK_TX>,
    #[pin]
    clear_work: Work<Peer, WORK_CLEAR_KEYS>,
    /// Set once the peer is being removed: nothing may start anything for
    /// it any more (no timer, no job, no keypair).
    is_dead: AtomicBool,
    /// Boot time of the last handshake message we sent (0: none).
    pub(crate) last_sent_handshake: AtomicU64,
    /// Handshake attempts since the last success.
    pub(crate) handshake_attempts: AtomicU32,
    /// A keepalive is due after the one pending.
    pub(crate) need_another_keepalive: AtomicBool,
    /// We already started a handshake because the session is about to end.
    pub(crate) sent_lastminute_handshake: AtomicBool,
    persistent_keepalive_interval: AtomicU16,
    rx_bytes: AtomicU64,
    tx_bytes: AtomicU64,
    #[pin]
    last_handshake: SpinLockBh<Walltime>,
    /// The CPU the peer's transmit worker runs on.
    serial_work_cpu: AtomicU32,
    /// When the last small batch was sent (`kapi::time::mono_ns`).
    last_small_tx: AtomicU64,
}

impl_has_napi!(Peer, napi);
impl_has_timer!(Peer {
    timer_retransmit_handshake: TIMER_RETRANSMIT_HANDSHAKE,
    timer_send_keepalive: TIMER_SEND_KEEPALIVE,
    timer_new_handshake: TIMER_NEW_HANDSHAKE,
    timer_zero_key_material: TIMER_ZERO_KEY_MATERIAL,
    timer_persistent_keepalive: TIMER_PERSISTENT_KEEPALIVE,
});
impl_has_work! {
    impl HasWork<Self, WORK_HANDSHAKE_SEND> for Peer { self.handshake_work }
    impl HasWork<Self, WORK_TX> for Peer { self.tx_work }
    impl HasWork<Self, WORK_CLEAR_KEYS> for Peer { self.clear_work }
}

impl Peer {
    /// A new peer of `wg` (named `name`) with static key `public_key`,
    /// numbered `id`, for a device with `identity`, and `preshared_key` if
    /// one is given. It does nothing until [`Peer::start`].
    pub(crate) fn new(
        wg: &Arc<Wg>,
        name: DevName,
        id: u64,
        identity: &StaticIdentity,
        public_key: &PublicKey,
        preshared_key: Option<&[u8; NOISE_SYMMETRIC_KEY_LEN]>,
    ) -> Result<Arc<Self>> {
        let psk = preshared_key.map_or_else(Key::zero, |k| Key::new(*k));
        let cache = DstCache::new()?;
        let peer = Arc::pin_init(
            pin_init!(Self {
                id,
                name,
                public_key: *public_key,
                device: wg.clone(),
                allowedips: PeerList::new(),
                handshake <- new_mutex!(
                    PeerHandshake {
                        hs: Handshake::new(identity, public_key, &psk),
                        index: None,
                    },
                    "wireguard_rs_peer_handshake"
                ),
                cookie <- new_mutex!(Cookie::new(public_key), "wireguard_rs_peer_cookie"),
                keypairs <- new_spinlock_bh!(Keypairs::new(), "wireguard_rs_peer_keypairs"),
                endpoint <- new_spinlock_bh!(
                    EndpointState {
                        addr: Endpoint::None,
                        source: EndpointSource::default(),
                        cache,
                    },
                    "wireguard_rs_peer_endpoint"
                ),
                has_endpoint: AtomicBool::new(false),
                staged <- new_spinlock_bh!(SkbList::new(), "wireguard_rs_peer_staged"),
                tx_queue <- PeerQueue::new(MAX_QUEUED_PACKETS),
                tx_order <- new_spinlock_bh!((), "wireguard_rs_peer_tx_order"),
                rx_queue <- PeerQueue::new(MAX_QUEUED_PACKETS),
                napi <- Napi::new(),
                timer_retransmit_handshake <- Timer::new(c"retransmit_handshake", static_lock_class!()),
                timer_send_keepalive <- Timer::new(c"send_keepalive", static_lock_class!()),
                timer_new_handshake <- Timer::new(c"new_handshake", static_lock_class!()),
                timer_zero_key_material <- Timer::new(c"zero_key_material", static_lock_class!()),
                timer_persistent_keepalive <- Timer::new(c"persistent_keepalive", static_lock_class!()),
                handshake_work <- new_work!("wireguard_rs_handshake_send"),
                tx_work <- new_work!("wireguard_rs_tx"),
                clear_work <- new_work!("wireguard_rs_clear_keys"),
                is_dead: AtomicBool::new(false),
                last_sent_handshake: AtomicU64::new(long_ago()),
                handshake_attempts: AtomicU32::new(0),
                need_another_keepalive: AtomicBool::new(false),
                sent_lastminute_handshake: AtomicBool::new(false),
                persistent_keepalive_interval: AtomicU16::new(0),
                rx_bytes: AtomicU64::new(0),
                tx_bytes: AtomicU64::new(0),
                last_handshake <- new_spinlock_bh!(Walltime::default(), "wireguard_rs_peer_walltime"),
                serial_work_cpu: AtomicU32::new(cpu::none()),
                last_small_tx: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )?;
        objlog::peer_created(&name, id);
        Ok(peer)
    }

    /// Brings a new peer to life on `dev`: its NAPI context and timers (which
    /// hold references to it until [`Peer::stop`]). Process context.
    pub(crate) fn start(this: &Arc<Self>, dev: &NetDevice) {
        Napi::add(this, dev);
        Timer::<Peer, TIMER_RETRANSMIT_HANDSHAKE>::start(this);
        Timer::<Peer, TIMER_SEND_KEEPALIVE>::start(this);
        Timer::<Peer, TIMER_NEW_HANDSHAKE>::start(this);
        Timer::<Peer, TIMER_ZERO_KEY_MATERIAL>::start(this);
        Timer::<Peer, TIMER_PERSISTENT_KEEPALIVE>::start(this);
    }

    /// The peer's position in creation order.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Its device's name when it was created (for [`objlog`]).
    pub(crate) fn objlog_name(&self) -> &DevName {
        &self.name
    }

    /// The peer's static public key.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Whether the peer is being removed.
    pub(crate) fn is_dead(&self) -> bool {
        self.is_dead.load(Acquire)
    }

    /// Marks the peer as being removed; the caller waits for a grace period
    /// and then calls [`Peer::stop`].
    pub(crate) fn make_dead(&self) {
        self.is_dead.store(true, Release);
    }

    /// Stops everything that could still reach a dead peer (process
    /// context, after a grace period since [`Peer::make_dead`]): its keys,
    /// timers, queued jobs and work, and NAPI context (the C driver's
    /// `peer_remove_after_dead`).
    pub(crate) fn stop(&self) {
        // A handshake-send worker that read is_dead before the peer died
        // may still be on its way to the index table (it holds no RCU read
        // section: the grace period before this did not wait for it). Its
        // entry holds the peer, which holds the device: left there, it
        // would keep both alive for ever. Waiting for it first makes the
        // clearing below final; workers that start later see is_dead.
        self.device.flush_handshake_send();
        // No keypair can be added any more (is_dead), so clearing is final.
        self.clear_keypairs();
        self.clear_handshake();
        self.timer_retransmit_handshake.shutdown();
        self.timer_send_keepalive.shutdown();
        self.timer_new_handshake.shutdown();
        self.timer_zero_key_material.shutdown();
        self.timer_persistent_keepalive.shutdown();
        // A job is in at most two places in turn: the crypt workers, then
        // the transmit worker (same queue) or NAPI. Flushing twice and then
        // disabling NAPI waits out both.
        self.device.flush_crypt();
        self.device.flush_crypt();
        self.napi.remove();
        self.purge_staged();
        // Jobs that finished after the last consumer ran (their packets
        // and keypairs hold the peer).
        self.tx_queue.clear();
        self.rx_queue.clear();
    }

    /// Drops the packets waiting for a session, counting them as dropped.
    pub(crate) fn purge_staged(&self) {
        let purged = core::mem::take(&mut *self.staged.lock());
        if !purged.is_empty() {
            self.with_netdev(|dev| dev.count_tx_dropped(purged.len()));
        }
    }

    /// Runs `f` with the peer's network device, if it still exists.
    pub(crate) fn with_netdev<R>(&self, f: impl FnOnce(&NetDevice) -> R) -> Option<R> {
        crate::kapi::netdev::with_device(&self.device.dev, f)
    }

    /// Empties the keypair slots, taking them out of the index table.
    pub(crate) fn clear_keypairs(&self) {
        let old = self.keypairs.lock().clear();
        for kp in old.iter().flatten() {
            self.device.unindex_keypair(kp);
        }
    }

    /// Forgets the handshake in progress and frees its index.
    pub(crate) fn clear_handshake(&self) {
        let mut h = self.handshake.lock();
        if let Some(i) = h.index.take() {
            self.device.unindex_handshake(i, self);
        }
        h.hs.clear();
    }

    /// Stops sending with the current and next keypairs (a new handshake
    /// will be made).
    pub(crate) fn expire_current_keypairs(&self) {
        self.clear_handshake();
        self.reset_last_sent_handshake();
        let k = self.keypairs.lock();
        if let Some(n) = k.next() {
            n.invalidate_sending();
        }
        if let Some(c) = k.current() {
            c.invalidate_sending();
        }
    }

    /// Lets the next handshake initiation go out at once (the C driver's
    /// `wg_noise_reset_last_sent_handshake`).
    pub(crate) fn reset_last_sent_handshake(&self) {
        self.last_sent_handshake.store(long_ago(), Relaxed);
    }

    /// Sets the preshared key (all zeros for none).
    pub(crate) fn set_preshared_key(&self, key: &[u8; NOISE_SYMMETRIC_KEY_LEN]) {
        self.handshake.lock().hs.set_preshared_key(&Key::new(*key));
    }

    /// A copy of the preshared key (zeroed when the copy is dropped).
    pub(crate) fn preshared_key(&self) -> Key {
        self.handshake.lock().hs.preshared_key().clone()
    }

    /// Redoes what depends on the device's private key after it changed.
    pub(crate) fn identity_changed(&self, identity: &StaticIdentity) {
        self.handshake.lock().hs.precompute_static_static(identity);
    }

    /// Points the peer at `endpoint` (from configuration); an address equal
    /// to the current one (by [`Endpoint::same_address`]) changes nothing,
    /// as in the C driver.
    pub(crate) fn set_endpoint(&self, endpoint: Endpoint) {
        let mut cur = self.endpoint.lock();
        if !cur.addr.same_address(&endpoint) {
            self.store_endpoint(&mut cur, endpoint, EndpointSource::default());
        }
    }

    /// Changes the endpoint under its lock (`state`), forgetting the cached
    /// route.
    pub(crate) fn store_endpoint(
        &self,
        state: &mut EndpointState,
        addr: Endpoint,
        source: EndpointSource,
    ) {
        state.addr = addr;
        state.source = source;
        state.cache.reset();
        self.has_endpoint
            .store(!matches!(addr, Endpoint::None), Release);
    }

    /// The current endpoint.
    pub(crate) fn endpoint(&self) -> Endpoint {
        self.endpoint.lock().addr
    }

    /// Whether the peer has an endpoint to send to (without the lock, for
    /// the transmit path, which a packet sent to the endpoint may re-enter).
    pub(crate) fn has_endpoint(&self) -> bool {
        self.has_endpoint.load(Acquire)
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

    /// Counts `n` bytes received.
    pub(crate) fn count_rx(&self, n: usize) {
        self.rx_bytes.fetch_add(n as u64, Relaxed);
    }

    /// Counts `n` bytes sent.
    pub(crate) fn count_tx(&self, n: usize) {
        self.tx_bytes.fetch_add(n as u64, Relaxed);
    }

    /// When the last handshake completed.
    pub(crate) fn last_handshake(&self) -> Walltime {
        *self.last_handshake.lock()
    }

    /// Notes that a handshake completed now.
    pub(crate) fn set_last_handshake(&self, t: Walltime) {
        *self.last_handshake.lock() = t;
    }

    /// The CPU this peer's serial work runs on.
    pub(crate) fn serial_cpu(&self) -> u32 {
        cpu::choose_online(&self.serial_work_cpu, self.id)
    }

    /// Queues the handshake-send work (taking a reference while queued).
    pub(crate) fn queue_handshake_send(this: &Arc<Self>) {
        this.device.with_wqs(|w| {
            drop(
                w.handshake_send
                    .queue()
                    .enqueue::<_, WORK_HANDSHAKE_SEND>(this.clone()),
            )
        });
    }

    /// Queues the transmit work on the peer's serial CPU.
    pub(crate) fn queue_tx(this: &Arc<Self>) {
        let cpu = this.serial_cpu();
        this.device
            .with_wqs(|w| drop(w.crypt.enqueue_on_id::<_, WORK_TX>(cpu, this.clone())));
    }

    /// Queues the key-zeroing work.
    pub(crate) fn queue_clear_keys(this: &Arc<Self>) {
        this.device.with_wqs(|w| {
            drop(
                w.handshake_send
                    .queue()
                    .enqueue::<_, WORK_CLEAR_KEYS>(this.clone()),
            )
        });
    }

    /// Notes a small batch to send at `now` (`kapi::time::mono_ns`); true if
    /// the one before was at least [`INLINE_MIN_GAP_NS`] earlier.
    pub(crate) fn small_tx_is_sparse(&self, now: u64) -> bool {
        let last = self.last_small_tx.swap(now, Relaxed);
        now.saturating_sub(last) >= INLINE_MIN_GAP_NS
    }

    /// This peer, counted again (every peer lives in an `Arc`).
    pub(crate) fn to_arc(&self) -> Arc<Self> {
        // SAFETY: every `Peer` is made by `Peer::new` inside an `Arc` and
        // never moved out of it, so `self` is the data of a live `Arc`, whose
        // count the borrow keeps above zero.
        unsafe { kernel::sync::ArcBorrow::from_raw(core::ptr::from_ref(self)) }.into()
    }
}

impl WorkItem<WORK_HANDSHAKE_SEND> for Peer {
    type Pointer = Arc<Peer>;

    fn run(this: Arc<Peer>) {
        crate::send::handshake_send_worker(&this);
    }
}

impl WorkItem<WORK_TX> for Peer {
    type Pointer = Arc<Peer>;

    fn run(this: Arc<Peer>) {
        crate::send::tx_worker(&this);
    }
}

impl WorkItem<WORK_CLEAR_KEYS> for Peer {
    type Pointer = Arc<Peer>;

    fn run(this: Arc<Peer>) {
        crate::timers::zero_key_material_worker(&this);
    }
}

impl NapiPoll for Peer {
    fn poll(&self, napi: &NapiPoller<'_>, budget: i32) -> i32 {
        crate::receive::rx_poll(self, napi, budget)
    }
}

impl TimerCallback<TIMER_RETRANSMIT_HANDSHAKE> for Peer {
    fn expired(&self) {
        crate::timers::expired_retransmit_handshake(self);
    }
}

impl TimerCallback<TIMER_SEND_KEEPALIVE> for Peer {
    fn expired(&self) {
        crate::timers::expired_send_keepalive(self);
    }
}

impl TimerCallback<TIMER_NEW_HANDSHAKE> for Peer {
    fn expired(&self) {
        crate::timers::expired_new_handshake(self);
    }
}

impl TimerCallback<TIMER_ZERO_KEY_MATERIAL> for Peer {
    fn expired(&self) {
        crate::timers::expired_zero_key_material(self);
    }
}

impl TimerCallback<TIMER_PERSISTENT_KEEPALIVE> for Peer {
    fn expired(&self) {
        crate::timers::expired_persistent_keepalive(self);
    }
}

#[pinned_drop]
impl PinnedDrop for Peer {
    fn drop(self: Pin<&mut Self>) {
        // Timers and NAPI hold references while live, so they are stopped
        // by now; packets still staged are dropped with the list. The line
        // needs nothing but the peer's own fields, whatever the context the
        // last reference fell in.
        objlog::peer_destroyed(&self.name, self.id);
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

/// A reference to the peer an index-table entry belongs to.
pub(crate) fn entry_peer(e: &IndexEntry) -> &Arc<Peer> {
    match e {
        IndexEntry::Handshake(p) => p,
        IndexEntry::Keypair(k) => &k.peer,
    }
}

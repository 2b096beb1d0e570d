// SPDX-License-Identifier: GPL-2.0

//! A peer's three keypair slots and how sessions move through them (the C
//! driver's `add_new_keypair` and `wg_noise_received_with_keypair`):
//!
//! - `current` is what we send with;
//! - `next` is a session we responded to, usable only once the initiator
//!   proves it has the keys by sending data with them (key confirmation);
//! - `previous` keeps the last session so in-flight packets still decrypt.
//!
//! The rotation is generic over the keypair type so it can be tested on its
//! own. Keypairs pushed out of every slot are returned to the caller, which
//! removes their receiver index from the index table.

use crate::cookie::has_expired;
use crate::counter::ReplayCounter;
use crate::messages::{
    KEEPALIVE_TIMEOUT,
    NOISE_SYMMETRIC_KEY_LEN,
    REJECT_AFTER_MESSAGES,
    REJECT_AFTER_TIME,
    REKEY_AFTER_MESSAGES,
    REKEY_AFTER_TIME,
    REKEY_TIMEOUT, //
};
use crate::noise::{
    Key,
    SessionKeys, //
};
use crate::objlog;
use crate::peer::Peer;
use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering::Relaxed, //
};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        Arc,
        SpinLock, //
    },
};

/// Keypairs that left all slots.
pub(crate) type Evicted<K> = [Option<Arc<K>>; 2];

/// The previous, current and next keypair of a peer. Callers serialise
/// changes (C: `keypair_update_lock`).
pub(crate) struct Keypairs<K> {
    previous: Option<Arc<K>>,
    current: Option<Arc<K>>,
    next: Option<Arc<K>>,
}

fn same<K>(a: &Option<Arc<K>>, b: &Arc<K>) -> bool {
    a.as_ref().is_some_and(|a| Arc::ptr_eq(a, b))
}

impl<K> Keypairs<K> {
    /// No keypairs.
    pub(crate) const fn new() -> Self {
        Self {
            previous: None,
            current: None,
            next: None,
        }
    }

    /// The keypair we send with.
    pub(crate) fn current(&self) -> Option<&Arc<K>> {
        self.current.as_ref()
    }

    /// The previous keypair.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn previous(&self) -> Option<&Arc<K>> {
        self.previous.as_ref()
    }

    /// The keypair awaiting confirmation.
    pub(crate) fn next(&self) -> Option<&Arc<K>> {
        self.next.as_ref()
    }

    /// Installs the keypair of a completed handshake. As initiator the peer
    /// has already confirmed it (it answered us), so it becomes current; as
    /// responder it waits in `next` for the initiator's first data packet.
    pub(crate) fn add(&mut self, new: Arc<K>, i_am_the_initiator: bool) -> Evicted<K> {
        if i_am_the_initiator {
            let evicted = if let Some(next) = self.next.take() {
                // A pending next keypair is demoted to previous; the old
                // current and the old previous go.
                [self.current.take(), self.previous.replace(next)]
            } else {
                let current = self.current.take();
                [core::mem::replace(&mut self.previous, current), None]
            };
            self.current = Some(new);
            evicted
        } else {
            let old_next = self.next.replace(new);
            let old_previous = self.previous.take();
            [old_next, old_previous]
        }
    }

    /// Notes that data arrived under `received`. If that is the keypair
    /// awaiting confirmation, it becomes current (and current previous);
    /// returns whether that happened, and the keypair that left.
    pub(crate) fn received_with(&mut self, received: &Arc<K>) -> (bool, Option<Arc<K>>) {
        if !same(&self.next, received) {
            return (false, None);
        }
        let next = self.next.take();
        let cur = core::mem::replace(&mut self.current, next);
        let old_previous = core::mem::replace(&mut self.previous, cur);
        (true, old_previous)
    }

    /// Empties all slots, returning what was in them.
    pub(crate) fn clear(&mut self) -> [Option<Arc<K>>; 3] {
        [self.previous.take(), self.current.take(), self.next.take()]
    }
}

/// The keys of one session and their counters, without the peer they are
/// for (so the timing rules can be tested with a fake clock).
#[pin_data]
pub(crate) struct Session {
    sending: Key,
    sending_birthdate: u64,
    sending_valid: AtomicBool,
    /// Next nonce to send with.
    sending_counter: AtomicU64,
    receiving: Key,
    receiving_birthdate: u64,
    receiving_valid: AtomicBool,
    /// The replay window of what we received. Taken only by its peer's
    /// NAPI poll (softirq context, one CPU at a time), so a plain spinlock.
    #[pin]
    replay: SpinLock<ReplayCounter>,
    /// The window reached `REJECT_AFTER_MESSAGES` (read by the decryption
    /// workers without the window's lock, as the C driver reads it).
    replay_exhausted: AtomicBool,
    /// Whether we initiated the handshake that made it.
    pub(crate) i_am_the_initiator: bool,
    /// Not yet confirmed by data from the initiator (we responded): only
    /// then can receiving on it move it out of `next`. Cleared once it has.
    unconfirmed: AtomicBool,
    /// The peer's index, put in every message we send.
    pub(crate) remote_index: u32,
    /// Our index, in every message we receive.
    pub(crate) local_index: u32,
}

impl Session {
    /// The session of a completed handshake, born at `now_ns`.
    pub(crate) fn new(keys: SessionKeys, now_ns: u64) -> impl PinInit<Self> {
        pin_init!(Self {
            sending: keys.sending,
            sending_birthdate: now_ns,
            sending_valid: AtomicBool::new(true),
            sending_counter: AtomicU64::new(0),
            receiving: keys.receiving,
            receiving_birthdate: now_ns,
            receiving_valid: AtomicBool::new(true),
            replay <- new_spinlock!(ReplayCounter::new(), "wireguard_rs_replay"),
            replay_exhausted: AtomicBool::new(false),
            i_am_the_initiator: keys.i_am_the_initiator,
            unconfirmed: AtomicBool::new(!keys.i_am_the_initiator),
            remote_index: keys.remote_index,
            local_index: keys.local_index,
        })
    }
    /// Whether we may still send with it at `now_ns`: not invalidated and
    /// younger than `REJECT_AFTER_TIME`.
    pub(crate) fn can_send(&self, now_ns: u64) -> bool {
        self.sending_valid.load(Relaxed)
            && !has_expired(self.sending_birthdate, REJECT_AFTER_TIME, now_ns)
    }

    /// Whether it is time for a new handshake because of this keypair: it
    /// sent over `REKEY_AFTER_MESSAGES`, or we initiated it over
    /// `REKEY_AFTER_TIME` ago (the C driver's `keep_key_fresh` on send).
    pub(crate) fn needs_rekey_on_send(&self, now_ns: u64) -> bool {
        self.sending_valid.load(Relaxed)
            && (self.sending_counter.load(Relaxed) > REKEY_AFTER_MESSAGES
                || (self.i_am_the_initiator
                    && has_expired(self.sending_birthdate, REKEY_AFTER_TIME, now_ns)))
    }

    /// Whether, receiving on it, it is time for a last-minute handshake: we
    /// initiated it and it nears `REJECT_AFTER_TIME` (the C driver's
    /// `keep_key_fresh` on receive).
    pub(crate) fn needs_rekey_on_receive(&self, now_ns: u64) -> bool {
        self.sending_valid.load(Relaxed)
            && self.i_am_the_initiator
            && has_expired(
                self.sending_birthdate,
                REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT,
                now_ns,
            )
    }

    /// Whether a last-minute handshake may be due when receiving on it or on
    /// a newer keypair: it is old enough for [`Session::needs_rekey_on_receive`]
    /// whoever initiated it. A newer keypair is younger, so when this is
    /// false no keypair of the peer at least as new needs the handshake, and
    /// a receiver may skip looking at the peer's current one.
    pub(crate) fn may_need_rekey_on_receive(&self, now_ns: u64) -> bool {
        has_expired(
            self.sending_birthdate,
            REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT,
            now_ns,
        )
    }

    /// Whether receiving on it may still confirm it (so the peer's slots
    /// need looking at): false once it was confirmed or if we initiated it,
    /// and it never becomes true again, so a receiver that sees false may
    /// skip [`Keypairs::received_with`], which would find nothing to do.
    pub(crate) fn may_confirm(&self) -> bool {
        self.unconfirmed.load(Relaxed)
    }

    /// Notes that it was confirmed (it moved from `next` to `current`).
    pub(crate) fn set_confirmed(&self) {
        self.unconfirmed.store(false, Relaxed);
    }

    /// Stops sending with it (a new handshake is needed).
    pub(crate) fn invalidate_sending(&self) {
        self.sending_valid.store(false, Relaxed);
    }

    /// Takes the next nonce to send with; `None` (and the keypair stops
    /// sending) once `REJECT_AFTER_MESSAGES` is reached.
    pub(crate) fn next_nonce(&self) -> Option<u64> {
        let n = self.sending_counter.fetch_add(1, Relaxed);
        if n >= REJECT_AFTER_MESSAGES {
            self.invalidate_sending();
            return None;
        }
        Some(n)
    }

    /// Sets the send counter, for tests that reach the message limits
    /// without sending 2^60 messages.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn set_sending_counter(&self, n: u64) {
        self.sending_counter.store(n, Relaxed);
    }

    /// The key we send with.
    pub(crate) fn sending_key(&self) -> &[u8; NOISE_SYMMETRIC_KEY_LEN] {
        self.sending.bytes()
    }

    /// The key we receive with, if it may still be used at `now_ns`
    /// (else the keypair stops receiving for good).
    pub(crate) fn receiving_key(&self, now_ns: u64) -> Option<&[u8; NOISE_SYMMETRIC_KEY_LEN]> {
        if !self.receiving_valid.load(Relaxed)
            || has_expired(self.receiving_birthdate, REJECT_AFTER_TIME, now_ns)
            || self.replay_exhausted.load(Relaxed)
        {
            self.receiving_valid.store(false, Relaxed);
            return None;
        }
        Some(self.receiving.bytes())
    }

    /// Accepts received counter `nonce` once (the replay window). Softirq
    /// context only (the peer's NAPI poll).
    pub(crate) fn accept_nonce(&self, nonce: u64) -> bool {
        let mut r = self.replay.lock();
        let ok = r.validate(nonce);
        if r.exhausted() {
            self.replay_exhausted.store(true, Relaxed);
        }
        ok
    }
}

/// Source of keypair numbers, shared by all devices as in the C driver
/// (for [`objlog`]).
static KEYPAIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A session with the peer it is with (the C driver's `noise_keypair`).
/// Shared (`Arc`) by the peer's slots, the device's index table and
/// packets in flight.
#[pin_data(PinnedDrop)]
pub(crate) struct Keypair {
    /// The peer the session is with.
    pub(crate) peer: Arc<Peer>,
    /// Creation order within the module (the C driver's `internal_id`).
    id: u64,
    #[pin]
    session: Session,
}

impl Keypair {
    /// The keypair of a completed handshake with `peer`, born at `now_ns`.
    pub(crate) fn new(peer: Arc<Peer>, keys: SessionKeys, now_ns: u64) -> Result<Arc<Self>> {
        let id = KEYPAIR_COUNTER.fetch_add(1, Relaxed) + 1;
        let kp = Arc::pin_init(
            pin_init!(Self {
                peer,
                id,
                session <- Session::new(keys, now_ns),
            }),
            GFP_KERNEL,
        )?;
        objlog::keypair_created(kp.peer.objlog_name(), id, kp.peer.id());
        Ok(kp)
    }
}

#[pinned_drop]
impl PinnedDrop for Keypair {
    fn drop(self: Pin<&mut Self>) {
        // The peer is still held (the field drops after this), and the line
        // reads only its own fields.
        objlog::keypair_destroyed(self.peer.objlog_name(), self.id, self.peer.id());
    }
}

impl core::ops::Deref for Keypair {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

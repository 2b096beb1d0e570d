// SPDX-License-Identifier: GPL-2.0

//! The protocol's timers (the C driver's `timers.c`), per peer:
//!
//! - retransmit handshake: no response `REKEY_TIMEOUT` (+ jitter) after an
//!   initiation: try again, up to `MAX_TIMER_HANDSHAKES` times, then give
//!   up and drop what waited;
//! - send keepalive: we received data and sent nothing back for
//!   `KEEPALIVE_TIMEOUT`;
//! - new handshake: we sent data and heard nothing for `KEEPALIVE_TIMEOUT
//!   + REKEY_TIMEOUT` (+ jitter);
//! - zero key material: no new session for `3 * REJECT_AFTER_TIME`;
//! - persistent keepalive: every configured interval.
//!
//! Timers are armed only while the device is up and the peer alive.

use crate::kapi::time;
use crate::kapi::timer::{
    jiffies,
    ms_to_jiffies,
    secs_to_jiffies,
    HasTimer, //
};
use crate::messages::{
    KEEPALIVE_TIMEOUT,
    MAX_TIMER_HANDSHAKES,
    REJECT_AFTER_TIME,
    REKEY_TIMEOUT,
    REKEY_TIMEOUT_JITTER_MAX_MS, //
};
use crate::peer::Peer;
use crate::send;
use crate::socket;
use core::sync::atomic::Ordering::Relaxed;
use kernel::{
    prelude::*,
    sync::Arc, //
};

/// Timer ids of a peer.
pub(crate) const TIMER_RETRANSMIT_HANDSHAKE: u64 = 0;
/// See [`TIMER_RETRANSMIT_HANDSHAKE`].
pub(crate) const TIMER_SEND_KEEPALIVE: u64 = 1;
/// See [`TIMER_RETRANSMIT_HANDSHAKE`].
pub(crate) const TIMER_NEW_HANDSHAKE: u64 = 2;
/// See [`TIMER_RETRANSMIT_HANDSHAKE`].
pub(crate) const TIMER_ZERO_KEY_MATERIAL: u64 = 3;
/// See [`TIMER_RETRANSMIT_HANDSHAKE`].
pub(crate) const TIMER_PERSISTENT_KEEPALIVE: u64 = 4;

/// Arms timer `ID` of `peer` for `delay` jiffies from now, if the device
/// is up and the peer alive (the C driver's `mod_peer_timer`).
fn arm<const ID: u64>(peer: &Peer, delay: u64)
where
    Peer: HasTimer<ID>,
{
    // Under RCU, so a removal's grace period waits for us (no timer is
    // armed on a peer that `Peer::stop` already stopped).
    let _g = crate::kapi::rcu::ReadGuard::new();
    let up = peer.with_netdev(|d| d.is_running()).unwrap_or(false);
    if up && !peer.is_dead() {
        peer.timer().modify(jiffies() + delay);
    }
}

/// A random extra delay for handshake timers, so peers do not synchronise.
fn jitter() -> u64 {
    u64::from(time::random_below(
        ms_to_jiffies(REKEY_TIMEOUT_JITTER_MAX_MS) as u32,
    ))
}

/// The retransmit-handshake timer fired.
pub(crate) fn expired_retransmit_handshake(peer: &Peer) {
    let attempts = peer.handshake_attempts.load(Relaxed);
    if u64::from(attempts) > MAX_TIMER_HANDSHAKES {
        pr_debug!(
            "handshake for peer {} did not complete after {} attempts, giving up\n",
            peer.id(),
            MAX_TIMER_HANDSHAKES + 2
        );
        HasTimer::<TIMER_SEND_KEEPALIVE>::timer(peer).cancel();
        // Nothing waits for a handshake that will not come.
        peer.purge_staged();
        // Destroy what is left of a partial exchange later.
        if !HasTimer::<TIMER_ZERO_KEY_MATERIAL>::timer(peer).is_pending() {
            arm::<TIMER_ZERO_KEY_MATERIAL>(peer, secs_to_jiffies(REJECT_AFTER_TIME * 3));
        }
    } else {
        peer.handshake_attempts.store(attempts + 1, Relaxed);
        pr_debug!(
            "handshake for peer {} did not complete after {} seconds, retrying (try {})\n",
            peer.id(),
            REKEY_TIMEOUT,
            attempts + 2
        );
        // The sticky source may be why: forget it.
        socket::clear_endpoint_source(peer);
        send::send_queued_handshake_initiation(&peer.to_arc(), true);
    }
}

/// The send-keepalive timer fired.
pub(crate) fn expired_send_keepalive(peer: &Peer) {
    send::send_keepalive(&peer.to_arc());
    if peer.need_another_keepalive.swap(false, Relaxed) {
        arm::<TIMER_SEND_KEEPALIVE>(peer, secs_to_jiffies(KEEPALIVE_TIMEOUT));
    }
}

/// The new-handshake timer fired.
pub(crate) fn expired_new_handshake(peer: &Peer) {
    pr_debug!(
        "retrying handshake with peer {}: nothing heard for {} seconds\n",
        peer.id(),
        KEEPALIVE_TIMEOUT + REKEY_TIMEOUT
    );
    socket::clear_endpoint_source(peer);
    send::send_queued_handshake_initiation(&peer.to_arc(), false);
}

/// The zero-key-material timer fired: zeroing needs process context.
pub(crate) fn expired_zero_key_material(peer: &Peer) {
    let _g = crate::kapi::rcu::ReadGuard::new();
    if !peer.is_dead() {
        Peer::queue_clear_keys(&peer.to_arc());
    }
}

/// The key-zeroing work.
pub(crate) fn zero_key_material_worker(peer: &Arc<Peer>) {
    pr_debug!(
        "zeroing all keys of peer {}: no new session for {} seconds\n",
        peer.id(),
        REJECT_AFTER_TIME * 3
    );
    peer.clear_handshake();
    peer.clear_keypairs();
}

/// The persistent-keepalive timer fired.
pub(crate) fn expired_persistent_keepalive(peer: &Peer) {
    if peer.persistent_keepalive_interval() != 0 {
        send::send_keepalive(&peer.to_arc());
    }
}

/// We are sending a data packet (not a keepalive). Returns whether this
/// armed the new-handshake timer (it was not pending).
pub(crate) fn data_sent(peer: &Peer) -> bool {
    if HasTimer::<TIMER_NEW_HANDSHAKE>::timer(peer).is_pending() {
        return false;
    }
    arm::<TIMER_NEW_HANDSHAKE>(
        peer,
        secs_to_jiffies(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) + jitter(),
    );
    true
}

/// The data that [`data_sent`] armed the new-handshake timer for did not
/// leave after all.
pub(crate) fn data_not_sent(peer: &Peer) {
    HasTimer::<TIMER_NEW_HANDSHAKE>::timer(peer).cancel();
}

/// We received a data packet (not a keepalive).
pub(crate) fn data_received(peer: &Peer) {
    if peer.with_netdev(|d| d.is_running()) != Some(true) {
        return;
    }
    if !HasTimer::<TIMER_SEND_KEEPALIVE>::timer(peer).is_pending() {
        arm::<TIMER_SEND_KEEPALIVE>(peer, secs_to_jiffies(KEEPALIVE_TIMEOUT));
    } else {
        peer.need_another_keepalive.store(true, Relaxed);
    }
}

/// We sent an authenticated packet (data, keepalive or handshake).
pub(crate) fn any_authenticated_packet_sent(peer: &Peer) {
    HasTimer::<TIMER_SEND_KEEPALIVE>::timer(peer).cancel();
}

/// We received an authenticated packet.
pub(crate) fn any_authenticated_packet_received(peer: &Peer) {
    HasTimer::<TIMER_NEW_HANDSHAKE>::timer(peer).cancel();
}

/// We sent a handshake initiation.
pub(crate) fn handshake_initiated(peer: &Peer) {
    arm::<TIMER_RETRANSMIT_HANDSHAKE>(peer, secs_to_jiffies(REKEY_TIMEOUT) + jitter());
}

/// A handshake completed (we received the response, or the first data of
/// a session we responded to).
pub(crate) fn handshake_complete(peer: &Peer) {
    HasTimer::<TIMER_RETRANSMIT_HANDSHAKE>::timer(peer).cancel();
    peer.handshake_attempts.store(0, Relaxed);
    peer.sent_lastminute_handshake.store(false, Relaxed);
    crate::receive::note_handshake_time(peer);
}

/// A session was derived.
pub(crate) fn session_derived(peer: &Peer) {
    arm::<TIMER_ZERO_KEY_MATERIAL>(peer, secs_to_jiffies(REJECT_AFTER_TIME * 3));
}

/// An authenticated packet went either way.
pub(crate) fn any_authenticated_packet_traversal(peer: &Peer) {
    let interval = peer.persistent_keepalive_interval();
    if interval != 0 {
        arm::<TIMER_PERSISTENT_KEEPALIVE>(peer, secs_to_jiffies(u64::from(interval)));
    }
}

/// Disarms every timer and waits for running callbacks and key zeroing
/// (the device goes down; the timers stay usable).
pub(crate) fn stop(peer: &Peer) {
    HasTimer::<TIMER_RETRANSMIT_HANDSHAKE>::timer(peer).cancel_sync();
    HasTimer::<TIMER_SEND_KEEPALIVE>::timer(peer).cancel_sync();
    HasTimer::<TIMER_NEW_HANDSHAKE>::timer(peer).cancel_sync();
    HasTimer::<TIMER_ZERO_KEY_MATERIAL>::timer(peer).cancel_sync();
    HasTimer::<TIMER_PERSISTENT_KEEPALIVE>::timer(peer).cancel_sync();
    peer.device.flush_handshake_send();
}

// SPDX-License-Identifier: GPL-2.0

//! Sending (the C driver's `send.c` and `wg_xmit`): packets from the stack
//! go to their peer's staged queue; with a session they get nonces and are
//! encrypted in batches on every CPU, then sent in order by the peer's
//! transmit worker; without one, a handshake is started. Also the
//! handshake messages we send.

use crate::cookie::{
    has_expired,
    Source, //
};
use crate::device::{
    IndexEntry,
    Wg,
    DATA_PACKET_HEAD_ROOM, //
};
use crate::kapi::netdev::NetDevice;
use crate::kapi::rcu::ReadGuard;
use crate::kapi::skb::{
    SkBuff,
    SkbList,
    ETH_P_IP,
    ETH_P_IPV6,
    GSO_MAX_SEGMENTS, //
};
use crate::kapi::time;
use crate::kapi::workqueue::cpu;
use crate::keypairs::Keypair;
use crate::messages::{
    message_data_len,
    MessageType,
    MAX_STAGED_PACKETS,
    MESSAGE_DATA_HEADER_LEN,
    MESSAGE_MINIMUM_LENGTH,
    MESSAGE_PADDING_MULTIPLE,
    REKEY_TIMEOUT, //
};
use crate::noise::{
    generate_secret,
    tai64n_now, //
};
use crate::peer::{
    Endpoint,
    Peer, //
};
use crate::queueing::{
    Job,
    JobState,
    INLINE_CRYPT_MAX_LEN, //
};
use crate::routing::{
    self,
    Addr, //
};
use crate::socket;
use crate::timers;
use core::sync::atomic::Ordering::Relaxed;
use kernel::sync::Arc;

/// DS field of handshake messages (AF41, as in the C driver).
const HANDSHAKE_DSCP: u8 = 0x88;

/// A batch of packets for one peer, with the session that encrypts them.
pub(crate) struct TxBatch {
    packets: SkbList,
    keypair: Arc<Keypair>,
}

/// The destination address of an IP packet at the start of `skb`, for
/// its AllowedIPs lookup.
fn destination(skb: &SkBuff) -> Option<Addr> {
    let h = skb.head();
    match skb.protocol() {
        ETH_P_IP => Some(Addr::V4(h.get(16..20)?.try_into().ok()?)),
        ETH_P_IPV6 => Some(Addr::V6(h.get(24..40)?.try_into().ok()?)),
        _ => None,
    }
}

/// `ndo_start_xmit` (the C driver's `wg_xmit`), with bottom halves off.
pub(crate) fn xmit(wg: &Arc<Wg>, dev: &NetDevice, mut skb: SkBuff) {
    // A packet whose protocol is not its IP header's (an eBPF redirect from
    // an Ethernet device, an AF_PACKET send with protocol 0) is repaired
    // from the header at its start; the C driver drops it. What is no IP
    // packet is still dropped.
    if !skb.protocol_matches_header() && !skb.fix_l3_protocol() {
        dev.count_tx_error();
        return;
    }
    let peer = {
        let g = ReadGuard::new();
        let found = destination(&skb).and_then(|dst| {
            routing::select_peer(wg.peer_select(), wg.allowedips(), &g, dev, &skb, dst)
        });
        found.map(Peer::to_arc)
    };
    let Some(peer) = peer else {
        skb.icmp_unreachable();
        dev.count_tx_error();
        return;
    };
    if !peer.has_endpoint() {
        skb.icmp_unreachable();
        dev.count_tx_error();
        return;
    }
    let mtu = skb.dst_mtu().unwrap_or_else(|| dev.mtu());
    let segments = if skb.is_gso() {
        match skb.gso_segment() {
            Ok(list) => list,
            Err(skb) => {
                skb.icmp_unreachable();
                dev.count_tx_error();
                return;
            }
        }
    } else {
        let mut l = SkbList::new();
        l.push_back(skb);
        l
    };
    let mut packets = SkbList::new();
    for skb in segments {
        let Some(mut skb) = skb.unshare() else {
            continue;
        };
        // The route is only needed for ICMP errors, which come no more.
        skb.dst_drop();
        skb.cb_mut().mtu = mtu;
        packets.push_back(skb);
    }
    {
        let mut staged = peer.staged.lock();
        // Too many waiting: the oldest go first (before the new ones are
        // added, so a GSO burst is not cut).
        let mut dropped = 0;
        while staged.len() > MAX_STAGED_PACKETS {
            drop(staged.pop_front());
            dropped += 1;
        }
        staged.append(&mut packets);
        if dropped > 0 {
            dev.count_tx_dropped(dropped);
        }
    }
    send_staged(&peer);
}

/// Sends what is staged if there is a usable session; else puts it back
/// and starts a handshake (the C driver's `wg_packet_send_staged_packets`).
pub(crate) fn send_staged(peer: &Arc<Peer>) {
    let mut packets = core::mem::take(&mut *peer.staged.lock());
    if packets.is_empty() {
        return;
    }
    let now = time::boottime_coarse_ns();
    let keypair = peer.keypairs.lock().current().cloned();
    let mut bytes = 0;
    let usable = keypair.filter(|k| {
        if !k.can_send(now) {
            k.invalidate_sending();
            return false;
        }
        let mut ok = true;
        packets.for_each_mut(|skb| {
            if !ok {
                return;
            }
            bytes += skb.len();
            let ds = skb.ecn_encap_ds();
            match k.next_nonce() {
                Some(n) => {
                    let cb = skb.cb_mut();
                    cb.ds = ds;
                    cb.nonce = n;
                }
                None => ok = false,
            }
        });
        ok
    });
    match usable {
        Some(keypair) => create_data(peer, TxBatch { packets, keypair }, bytes),
        None => {
            // Waiting for a handshake: the packets no longer count against
            // their sockets' buffers, and go back in front of newer ones.
            packets.for_each_mut(SkBuff::orphan);
            peer.staged.lock().prepend(&mut packets);
            send_queued_handshake_initiation(peer, false);
        }
    }
}

/// Queues a batch of `bytes` bytes for encryption and ordered sending, or
/// encrypts and sends it here if it is small, the peer's small packets are
/// sparse, this is the CPU the peer's transmit worker runs on and nothing
/// of the peer's is queued or being sent (see
/// [`INLINE_CRYPT_MAX_LEN`] and [`Peer::small_tx_is_sparse`]).
fn create_data(peer: &Arc<Peer>, mut batch: TxBatch, bytes: usize) {
    let g = ReadGuard::new();
    if peer.is_dead() {
        return;
    }
    let wg = &peer.device;
    // Not while the device is torn down (then the queue drops it too).
    if bytes <= INLINE_CRYPT_MAX_LEN
        && wg.wqs(&g).is_some()
        && peer.small_tx_is_sparse(time::mono_ns())
    {
        // Only tried: the holder may be this CPU's own transmit worker, or
        // a send of ours that came back to the device. And only on the CPU
        // the peer's transmit worker runs on (the lock, a BH lock, keeps us
        // on it): every outer packet of a peer leaves from one CPU, so none
        // overtakes another in a per-CPU queue on its way out (a loopback
        // or veth backlog, a multiqueue NIC's transmit queues).
        if let Some(order) = peer.tx_order.try_lock() {
            if cpu::current() == peer.serial_cpu() && peer.tx_queue.is_empty() {
                if encrypt_batch(&mut batch) {
                    send_encrypted(peer, batch.packets);
                }
                drop(order);
                return;
            }
        }
    }
    let Ok(job) = Job::new(batch) else {
        return;
    };
    if peer.tx_queue.push(job.clone()).is_err() {
        return;
    }
    let rejected = match wg.wqs(&g) {
        Some(w) => wg.encrypt_queue.push(job, &w.crypt).err(),
        None => Some(job),
    };
    drop(g);
    if let Some(job) = rejected {
        // The transmit worker drops it, in order.
        job.finish(false);
        Peer::queue_tx(peer);
    }
}

/// Padding for a packet of `len` bytes sent with path MTU `mtu`: to a
/// multiple of 16, but not beyond the MTU.
fn padding(len: usize, mtu: u32) -> usize {
    let multiple = MESSAGE_PADDING_MULTIPLE as usize;
    if mtu == 0 {
        return len.next_multiple_of(multiple) - len;
    }
    let mtu = mtu as usize;
    let last = if len > mtu { len % mtu } else { len };
    last.next_multiple_of(multiple).min(mtu) - last
}

/// The header of a data message.
fn data_header(receiver: u32, nonce: u64) -> [u8; MESSAGE_DATA_HEADER_LEN] {
    let mut h = [0u8; MESSAGE_DATA_HEADER_LEN];
    h[..4].copy_from_slice(&(MessageType::Data as u32).to_le_bytes());
    h[4..8].copy_from_slice(&receiver.to_le_bytes());
    h[8..].copy_from_slice(&nonce.to_le_bytes());
    h
}

/// Encrypts a batch in place into data messages; false if a packet could
/// not be (then the batch is dropped whole, as the C driver drops it).
fn encrypt_batch(batch: &mut TxBatch) -> bool {
    let kp = &batch.keypair;
    let mut ok = true;
    batch.packets.for_each_mut(|skb| {
        if !ok {
            return;
        }
        let cb = *skb.cb();
        let pad = padding(skb.len(), cb.mtu);
        let header = data_header(kp.remote_index, cb.nonce);
        ok = skb.seal(
            &header,
            pad,
            DATA_PACKET_HEAD_ROOM,
            cb.nonce,
            kp.sending_key(),
        );
        if ok {
            skb.reset_for_tunnel(true);
        }
    });
    ok
}

/// An encryption worker's part: encrypt a batch in place, then hand it to
/// its peer's transmit worker.
pub(crate) fn encrypt_job(job: &Job<TxBatch>) {
    let peer = job.process(|batch| (encrypt_batch(batch), batch.keypair.peer.clone()));
    if let Some(peer) = peer {
        Peer::queue_tx(&peer);
    }
}

/// The most packets the transmit worker gathers from finished batches
/// before it sends them (and the most of one GSO packet, so a full
/// gathering fills one).
const TX_GATHER: usize = GSO_MAX_SEGMENTS;

/// A peer's transmit worker: sends finished batches in order, the packets
/// of all those ready at once together (so that they can share UDP GSO
/// packets).
pub(crate) fn tx_worker(peer: &Arc<Peer>) {
    loop {
        // Held from taking the packets until they are sent, so that a
        // sender encrypting a packet itself cannot overtake them.
        let order = peer.tx_order.lock();
        let mut packets = SkbList::new();
        while packets.len() < TX_GATHER {
            let Some((state, job)) = peer.tx_queue.pop_ready() else {
                break;
            };
            if let Some(mut batch) = job.take() {
                if state == JobState::Done {
                    packets.append(&mut batch.packets);
                }
            }
        }
        if packets.is_empty() {
            break;
        }
        send_encrypted(peer, packets);
        drop(order);
        if cpu::need_resched() {
            cpu::cond_resched();
        }
    }
}

/// Sends encrypted packets and updates the timers (the C driver's
/// `wg_packet_create_data_done`).
fn send_encrypted(peer: &Arc<Peer>, packets: SkbList) {
    timers::any_authenticated_packet_traversal(peer);
    timers::any_authenticated_packet_sent(peer);
    let keepalive_len = message_data_len(0);
    // The new-handshake timer is armed before the first data packet
    // leaves, not after the send as in the C driver: the answer may come
    // back (and cancel the timer) before the send returns, which would
    // leave the timer armed with nothing left to cancel it, and a useless
    // handshake 15 s later.
    let mut armed = None;
    let data_sent = socket::send_data_to_peer(peer, packets, |skb| {
        let data = skb.len() != keepalive_len;
        if data && armed.is_none() {
            armed = Some(timers::data_sent(peer));
        }
        data
    });
    if !data_sent && armed == Some(true) {
        // Nothing left: no answer can come, and the C driver would not
        // have armed it.
        timers::data_not_sent(peer);
    }
    keep_key_fresh(peer);
}

/// Starts a new handshake when the session has sent too much or (as
/// initiator) lived too long.
fn keep_key_fresh(peer: &Arc<Peer>) {
    let now = time::boottime_coarse_ns();
    let rekey = peer
        .keypairs
        .lock()
        .current()
        .is_some_and(|k| k.needs_rekey_on_send(now));
    if rekey {
        send_queued_handshake_initiation(peer, false);
    }
}

/// Sends a keepalive (an empty data packet) unless something else is
/// waiting to be sent anyway.
pub(crate) fn send_keepalive(peer: &Arc<Peer>) {
    let empty = peer.staged.lock().is_empty();
    if empty {
        let Some(mtu) = peer.with_netdev(|d| d.mtu()) else {
            return;
        };
        let Some(mut skb) = SkBuff::alloc(DATA_PACKET_HEAD_ROOM, MESSAGE_MINIMUM_LENGTH) else {
            return;
        };
        skb.cb_mut().mtu = mtu;
        peer.staged.lock().push_back(skb);
    }
    send_staged(peer);
}

/// Queues a handshake initiation, unless one was sent within
/// `REKEY_TIMEOUT` (the C driver's `wg_packet_send_queued_handshake_initiation`).
pub(crate) fn send_queued_handshake_initiation(peer: &Arc<Peer>, is_retry: bool) {
    if !is_retry {
        peer.handshake_attempts.store(0, Relaxed);
    }
    // Under RCU, so that a removal's grace period waits for this check and
    // the work it queues.
    let _g = ReadGuard::new();
    let last = peer.last_sent_handshake.load(Relaxed);
    if !has_expired(last, REKEY_TIMEOUT, time::boottime_coarse_ns()) || peer.is_dead() {
        return;
    }
    Peer::queue_handshake_send(peer);
}

/// The handshake-send worker: makes and sends an initiation.
pub(crate) fn handshake_send_worker(peer: &Arc<Peer>) {
    let now = time::boottime_coarse_ns();
    if !has_expired(peer.last_sent_handshake.load(Relaxed), REKEY_TIMEOUT, now) || peer.is_dead() {
        return;
    }
    peer.last_sent_handshake.store(now, Relaxed);
    let wg = &peer.device;
    let msg = {
        let keys = wg.keys.lock();
        let mut h = peer.handshake.lock();
        if let Some(old) = h.index.take() {
            wg.unindex_handshake(old, peer);
        }
        let Ok(index) = wg.index.insert(IndexEntry::Handshake(peer.clone())) else {
            return;
        };
        let msg =
            h.hs.create_initiation(&keys.identity, generate_secret(), &tai64n_now(), index);
        if msg.is_some() {
            h.index = Some(index);
        } else {
            wg.unindex_handshake(index, peer);
        }
        msg
    };
    let Some(mut msg) = msg else {
        return;
    };
    peer.cookie.lock().add_macs(&mut msg.0, now);
    timers::any_authenticated_packet_traversal(peer);
    timers::any_authenticated_packet_sent(peer);
    peer.last_sent_handshake
        .store(time::boottime_coarse_ns(), Relaxed);
    // Armed before the send (the C driver arms it after): a response
    // processed before the send returns would otherwise find nothing to
    // cancel, and the initiation would be sent again after REKEY_TIMEOUT.
    timers::handshake_initiated(peer);
    let _ = socket::send_buffer_to_peer(peer, msg.as_bytes(), HANDSHAKE_DSCP);
}

/// Answers a consumed initiation and derives the session (the C driver's
/// `wg_packet_send_handshake_response`). The response and the session come
/// from one hold of the handshake lock, so the session's keypair goes
/// straight into the index table under the index the response carries (the
/// C driver first files the handshake there, then replaces it).
pub(crate) fn send_handshake_response(peer: &Arc<Peer>) {
    let wg = &peer.device;
    peer.last_sent_handshake
        .store(time::boottime_coarse_ns(), Relaxed);
    let mut msg = {
        let mut h = peer.handshake.lock();
        if let Some(old) = h.index.take() {
            wg.unindex_handshake(old, peer);
        }
        let index = wg.index.unused_index();
        let Some(msg) = h.hs.create_response(generate_secret(), index) else {
            return;
        };
        if !crate::receive::begin_session_locked(peer, &mut h) {
            return;
        }
        msg
    };
    peer.cookie
        .lock()
        .add_macs(&mut msg.0, time::boottime_coarse_ns());
    timers::session_derived(peer);
    timers::any_authenticated_packet_traversal(peer);
    timers::any_authenticated_packet_sent(peer);
    peer.last_sent_handshake
        .store(time::boottime_coarse_ns(), Relaxed);
    let _ = socket::send_buffer_to_peer(peer, msg.as_bytes(), HANDSHAKE_DSCP);
}

/// Answers a handshake message we will not process under load with a
/// cookie reply to its sender.
pub(crate) fn send_handshake_cookie(wg: &Wg, skb: &SkBuff, msg: &[u8], sender_index: u32) {
    let Some((addr, _)) = socket::endpoint_from_skb(skb) else {
        return;
    };
    let (ip, port): (&[u8], [u8; 2]) = match &addr {
        Endpoint::V4(sa) => (&sa[4..8], [sa[2], sa[3]]),
        Endpoint::V6(sa) => (&sa[8..24], [sa[2], sa[3]]),
        Endpoint::None => return,
    };
    let src = Source {
        addr: ip,
        port: u16::from_be_bytes(port),
    };
    let reply =
        wg.keys
            .lock()
            .checker
            .create_reply_now(msg, src, sender_index, time::boottime_coarse_ns());
    if let Some(reply) = reply {
        let _ = socket::send_buffer_as_reply(wg, skb, reply.as_bytes());
    }
}

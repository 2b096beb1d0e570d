// SPDX-License-Identifier: GPL-2.0

//! Receiving (the C driver's `receive.c`): datagrams from our sockets are
//! checked and sorted; handshake messages are processed by per-CPU
//! workers (with cookies and rate limits under load); data messages are
//! decrypted on every CPU and delivered in order through their peer's NAPI
//! context, after the replay, source-address and size checks.

use crate::cookie::{
    has_expired,
    MacState,
    Source, //
};
use crate::device::{
    IndexEntry,
    Wg, //
};
use crate::kapi::napi::NapiPoller;
use crate::kapi::netdev;
use crate::kapi::rcu::ReadGuard;
use crate::kapi::skb::{
    SkBuff,
    ECN_CE,
    ECN_MASK,
    ETH_P_IP, //
};
use crate::kapi::time;
use crate::keypairs::Keypair;
use crate::messages::{
    message_data_len,
    CookieReply,
    Initiation,
    Response,
    COOKIE_REPLY_LEN,
    INITIATION_LEN,
    MAX_QUEUED_INCOMING_HANDSHAKES,
    MESSAGE_DATA_HEADER_LEN,
    MESSAGE_MINIMUM_LENGTH,
    RESPONSE_LEN, //
};
use crate::noise::InitiationInProgress;
use crate::peer::{
    entry_peer,
    Endpoint,
    Peer,
    PeerHandshake,
    Walltime, //
};
use crate::queueing::{
    Job,
    JobState,
    INLINE_CRYPT_MAX_LEN, //
};
use crate::ratelimiter::SourceIp;
use crate::routing;
use crate::socket;
use crate::timers;
use core::sync::atomic::Ordering::Relaxed;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};

/// A received data message on its way through decryption.
pub(crate) struct RxPacket {
    skb: SkBuff,
    keypair: Arc<Keypair>,
}

/// A received handshake message waiting for a handshake worker.
pub(crate) struct HandshakeJob {
    wg: Arc<Wg>,
    skb: SkBuff,
}

/// The length of the header of a message of type `ty` that is `len`
/// bytes long, if that is a well-formed message (the C driver's
/// `validate_header_len`): handshake messages have their exact length.
fn header_len(ty: u32, len: usize) -> Option<usize> {
    match ty {
        4 if len >= MESSAGE_MINIMUM_LENGTH as usize => Some(MESSAGE_DATA_HEADER_LEN),
        1 if len == INITIATION_LEN => Some(INITIATION_LEN),
        2 if len == RESPONSE_LEN => Some(RESPONSE_LEN),
        3 if len == COOKIE_REPLY_LEN => Some(COOKIE_REPLY_LEN),
        _ => None,
    }
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// A datagram from one of `wg`'s sockets (softirq context).
pub(crate) fn packet_receive(wg: ArcBorrow<'_, Wg>, mut skb: SkBuff) {
    if !skb.narrow_to_udp_payload(4) {
        return;
    }
    let Some(ty) = le32(skb.head(), 0) else {
        return;
    };
    let Some(hlen) = header_len(ty, skb.len()) else {
        return;
    };
    if !skb.may_pull(hlen) {
        return;
    }
    match ty {
        1..=3 => {
            if !time::rng_is_initialized() {
                return;
            }
            let job = HandshakeJob { wg: wg.into(), skb };
            // Counted before it is queued, so a worker cannot count it off
            // first; uncounted again if it was not queued.
            let len = wg.handshake_queue_len.fetch_add(1, Relaxed);
            let queued = wg.with_wqs(|w| {
                if len > (MAX_QUEUED_INCOMING_HANDSHAKES / 2) as isize {
                    wg.handshake_queue.try_push(job, &w.handshake_receive)
                } else {
                    wg.handshake_queue.push(job, &w.handshake_receive)
                }
                .is_ok()
            });
            if queued != Some(true) {
                wg.handshake_queue_len.fetch_sub(1, Relaxed);
            }
        }
        _ => {
            let ds = skb.dsfield();
            skb.cb_mut().ds = ds;
            consume_data(&wg, skb);
        }
    }
}

/// Queues a data message for decryption on the session its receiver
/// index names, or decrypts it here if it is small and the workers have
/// nothing waiting (see [`INLINE_CRYPT_MAX_LEN`]; the peer's queue keeps
/// it in order either way).
fn consume_data(wg: &Wg, skb: SkBuff) {
    let Some(index) = le32(skb.head(), 4) else {
        return;
    };
    let Some(IndexEntry::Keypair(keypair)) = wg
        .index
        .lookup(index, |e| matches!(e, IndexEntry::Keypair(_)))
    else {
        return;
    };
    let peer = keypair.peer.clone();
    let g = ReadGuard::new();
    if peer.is_dead() {
        return;
    }
    let inline =
        skb.len() <= message_data_len(INLINE_CRYPT_MAX_LEN) && wg.decrypt_queue.looks_idle();
    // The outer header's ECN field copies the inner one's (RFC 6040, as
    // both drivers send): a packet that says it is ECN-capable may be marked
    // instead of dropped by the queue's delay control.
    let ecn_capable = skb.cb().ds & ECN_MASK != 0;
    let rx = RxPacket { skb, keypair };
    // Only a job that waits for a worker needs the time it was queued.
    let Ok(job) = (if inline {
        Job::new(rx)
    } else {
        Job::new_timed(rx, ecn_capable)
    }) else {
        return;
    };
    if peer.rx_queue.push(job.clone()).is_err() {
        return;
    }
    if inline {
        decrypt_job(&job, false);
        return;
    }
    let rejected = match wg.wqs(&g) {
        Some(w) => wg.decrypt_queue.push(job, &w.crypt).err(),
        None => Some(job),
    };
    drop(g);
    if let Some(job) = rejected {
        job.finish(false);
        peer.napi.schedule();
    }
}

/// A decryption worker's part: decrypt in place, then kick the peer's NAPI.
/// With `mark`, the queue's delay control marked the packet congested: CE
/// in its outer ECN field, which delivery copies onto the inner packet.
pub(crate) fn decrypt_job(job: &Job<RxPacket>, mark: bool) {
    let peer = job.process(|rx| {
        if mark {
            let cb = rx.skb.cb_mut();
            cb.ds |= ECN_CE;
            cb.ce_marked = true;
        }
        let peer = rx.keypair.peer.clone();
        let now = time::boottime_coarse_ns();
        let Some(key) = rx.keypair.receiving_key(now) else {
            return (false, peer);
        };
        let Some(nonce) = rx
            .skb
            .head()
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
        else {
            return (false, peer);
        };
        rx.skb.cb_mut().nonce = nonce;
        let ok = rx.skb.open(MESSAGE_DATA_HEADER_LEN, nonce, key);
        (ok, peer)
    });
    if let Some(peer) = peer {
        peer.napi.schedule();
    }
}

/// A job the decryption queue's delay control dropped: marked failed
/// undecrypted (its peer's NAPI skips it in order) and counted as a drop.
pub(crate) fn drop_late_job(job: &Job<RxPacket>) {
    if let Some(peer) = job.process(|rx| (false, rx.keypair.peer.clone())) {
        peer.with_netdev(|d| d.count_rx_dropped(1));
        peer.napi.schedule();
    }
}

/// A peer's NAPI poll: delivers decrypted packets in order.
pub(crate) fn rx_poll(peer: &Peer, napi: &NapiPoller<'_>, budget: i32) -> i32 {
    if budget <= 0 {
        return 0;
    }
    let mut done = 0;
    while let Some((state, job)) = peer.rx_queue.pop_ready() {
        if let Some(rx) = job.take() {
            if state == JobState::Done {
                deliver(peer, rx, napi);
            }
        }
        done += 1;
        if done >= budget {
            break;
        }
    }
    if done < budget {
        napi.complete(done);
    }
    done
}

/// Checks a decrypted packet against the replay window, then hands it on.
fn deliver(peer: &Peer, rx: RxPacket, napi: &NapiPoller<'_>) {
    let RxPacket { mut skb, keypair } = rx;
    if !keypair.accept_nonce(skb.cb().nonce) {
        return;
    }
    let Some((addr, source)) = socket::endpoint_from_skb(&skb) else {
        return;
    };
    skb.reset_for_tunnel(false);
    consume_data_done(peer, skb, &keypair, &addr, &source, napi);
}

/// Counts `len` received bytes on the device and the peer.
fn count_rx(peer: &Peer, dev: &netdev::NetDevice, len: usize) {
    dev.count_rx(len);
    peer.count_rx(len);
}

/// What a packet of an authenticated session does to the peer (roaming,
/// key confirmation, timers), then the checks of the inner packet and its
/// delivery (the C driver's `wg_packet_consume_data_done`).
fn consume_data_done(
    peer: &Peer,
    mut skb: SkBuff,
    keypair: &Arc<Keypair>,
    addr: &Endpoint,
    source: &crate::peer::EndpointSource,
    napi: &NapiPoller<'_>,
) {
    socket::set_peer_endpoint(peer, addr, source);
    // Only a session we responded to and not yet confirmed can move (most
    // packets skip the peer's keypair lock).
    let (confirmed, evicted) = if keypair.may_confirm() {
        let r = peer.keypairs.lock().received_with(keypair);
        if r.0 {
            keypair.set_confirmed();
        }
        r
    } else {
        (false, None)
    };
    if let Some(old) = evicted {
        peer.device.unindex_keypair(&old);
    }
    if confirmed {
        timers::handshake_complete(peer);
        crate::send::send_staged(&peer.to_arc());
    }
    // Only a keypair as old as the last-minute rule can make the current
    // one (at most as old) need a handshake: most packets skip the lock.
    if keypair.may_need_rekey_on_receive(time::boottime_coarse_ns()) {
        keep_key_fresh(&peer.to_arc());
    }
    timers::any_authenticated_packet_received(peer);
    timers::any_authenticated_packet_traversal(peer);

    let g = ReadGuard::new();
    let Some(dev) = netdev::device(&peer.device.dev, &g) else {
        return;
    };
    if skb.len() == 0 {
        // A keepalive.
        count_rx(peer, dev, message_data_len(0));
        return;
    }
    timers::data_received(peer);
    if skb.inner_ip_version().is_none() {
        dev.count_rx_frame_error();
        return;
    }
    let proto = skb.set_inner_protocol(dev);
    let h = skb.head();
    let len = if proto == ETH_P_IP {
        let Some(tot) = h
            .get(2..4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            dev.count_rx_length_error();
            return;
        };
        if tot < 20 {
            dev.count_rx_length_error();
            return;
        }
        tot
    } else {
        match h.get(4..6) {
            Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])) + 40,
            None => {
                dev.count_rx_frame_error();
                return;
            }
        }
    };
    let ds = skb.cb().ds;
    if !skb.ecn_decapsulate(ds) && skb.cb().ce_marked {
        // Our mark, on a packet whose inner header is not ECN-capable after
        // all (nothing authenticates the outer header's ECN field, which said
        // it was): dropped, as RFC 6040 says, so the congestion signal is
        // not lost. Counted as the drop the mark stood for.
        dev.count_rx_dropped(1);
        return;
    }
    if len > skb.len() {
        dev.count_rx_length_error();
        return;
    }
    let before_trim = skb.len();
    if !skb.trim(len) {
        return;
    }
    // The source must be one the peer is allowed to send from (by the
    // device's source-check mode; the C driver's check by default).
    let allowed = routing::inner_source(&skb, proto).is_some_and(|src| {
        routing::source_allowed(
            peer.device.source_check(),
            peer.device.allowedips(),
            &g,
            dev,
            &mut skb,
            src,
            peer,
        )
    });
    if !allowed {
        dev.count_rx_frame_error();
        return;
    }
    // Counted before the stack sees it (the C driver counts after), so
    // that no answer to it can be seen before it is counted.
    count_rx(peer, dev, message_data_len(before_trim));
    napi.gro_receive(skb);
}

/// As initiator, starts one more handshake when the session is about to
/// end and we are still receiving on it.
fn keep_key_fresh(peer: &Arc<Peer>) {
    if peer.sent_lastminute_handshake.load(Relaxed) {
        return;
    }
    let now = time::boottime_coarse_ns();
    let send = peer
        .keypairs
        .lock()
        .current()
        .is_some_and(|k| k.needs_rekey_on_receive(now));
    if send {
        peer.sent_lastminute_handshake.store(true, Relaxed);
        crate::send::send_queued_handshake_initiation(peer, false);
    }
}

/// A handshake worker's part: process one message, then count it off.
pub(crate) fn handshake_job(job: HandshakeJob) {
    let HandshakeJob { wg, skb } = job;
    receive_handshake(&wg, &skb);
    drop(skb);
    wg.handshake_queue_len.fetch_sub(1, Relaxed);
}

/// The source a cookie is bound to, and the rate limiter's key.
fn source_of(skb: &SkBuff) -> Option<([u8; 16], usize, [u8; 2], SourceIp)> {
    let (addr, _) = socket::endpoint_from_skb(skb)?;
    let mut ip = [0u8; 16];
    match addr {
        Endpoint::V4(sa) => {
            ip[..4].copy_from_slice(&sa[4..8]);
            Some((
                ip,
                4,
                [sa[2], sa[3]],
                SourceIp::V4([sa[4], sa[5], sa[6], sa[7]]),
            ))
        }
        Endpoint::V6(sa) => {
            ip.copy_from_slice(&sa[8..24]);
            Some((ip, 16, [sa[2], sa[3]], SourceIp::V6(ip)))
        }
        Endpoint::None => None,
    }
}

/// Processes a handshake message (the C driver's
/// `wg_receive_handshake_packet`).
fn receive_handshake(wg: &Arc<Wg>, skb: &SkBuff) {
    let msg = skb.head();
    let Some(ty) = le32(msg, 0) else {
        return;
    };
    if ty == 3 {
        if let Some(reply) = CookieReply::parse(msg) {
            consume_cookie(wg, &reply);
        }
        return;
    }
    let now = time::boottime_coarse_ns();
    // Under load (a long queue, or one within the last second), mac2 and
    // the rate limit apply; the load figure is per device here.
    let mut under_load =
        wg.handshake_queue_len.load(Relaxed) >= (MAX_QUEUED_INCOMING_HANDSHAKES / 8) as isize;
    if under_load {
        wg.last_under_load.store(now, Relaxed);
    } else {
        let last = wg.last_under_load.load(Relaxed);
        if last != 0 {
            under_load = !has_expired(last, 1, now);
            if !under_load {
                wg.last_under_load.store(0, Relaxed);
            }
        }
    }
    let Some((ip, ip_len, port, limiter_ip)) = source_of(skb) else {
        return;
    };
    let src = Source {
        addr: &ip[..ip_len],
        port: u16::from_be_bytes(port),
    };
    let net = netdev::with_device(&wg.dev, |d| d.net_cookie()).unwrap_or(0);
    gc_ratelimiter(wg, now);
    let state = wg
        .keys
        .lock()
        .checker
        .validate(msg, src, under_load, now, || {
            wg.ratelimiter().allow(net, limiter_ip, now)
        });
    let needs_cookie = match (under_load, state) {
        (true, MacState::ValidMacWithCookie) | (false, MacState::ValidMacButNoCookie) => false,
        (true, MacState::ValidMacButNoCookie) => true,
        _ => return,
    };
    let peer = match ty {
        1 => {
            let Some(m) = Initiation::parse(msg) else {
                return;
            };
            if needs_cookie {
                crate::send::send_handshake_cookie(wg, skb, msg, m.sender_index());
                return;
            }
            let Some(peer) = consume_initiation(wg, &m, now) else {
                return;
            };
            socket::set_peer_endpoint_from_skb(&peer, skb);
            crate::send::send_handshake_response(&peer);
            peer
        }
        2 => {
            let Some(m) = Response::parse(msg) else {
                return;
            };
            if needs_cookie {
                crate::send::send_handshake_cookie(wg, skb, msg, m.sender_index());
                return;
            }
            let Some(peer) = consume_response(wg, &m) else {
                return;
            };
            socket::set_peer_endpoint_from_skb(&peer, skb);
            if begin_session(&peer) {
                timers::session_derived(&peer);
                timers::handshake_complete(&peer);
                // Sends what waited for the session, or else a keepalive to
                // confirm it at once.
                crate::send::send_keepalive(&peer);
            }
            peer
        }
        _ => return,
    };
    let len = skb.len();
    time::with_bh_disabled(|| {
        netdev::with_device(&wg.dev, |d| count_rx(&peer, d, len));
    });
    timers::any_authenticated_packet_received(&peer);
    timers::any_authenticated_packet_traversal(&peer);
}

/// Runs the rate limiter's garbage collection about once a second.
fn gc_ratelimiter(wg: &Wg, now: u64) {
    let last = wg.ratelimiter_gc.load(Relaxed);
    if has_expired(last, 1, now) {
        wg.ratelimiter_gc.store(now, Relaxed);
        wg.ratelimiter().gc(now, false);
    }
}

/// The peer an initiation comes from, once it authenticates and is fresh.
fn consume_initiation(wg: &Wg, msg: &Initiation, now: u64) -> Option<Arc<Peer>> {
    let st = InitiationInProgress::begin(msg, &wg.keys.lock().identity)?;
    let peer = wg.lookup_peer(st.remote_static())?;
    if peer.is_dead() {
        return None;
    }
    let ok = peer.handshake.lock().hs.consume_initiation(st, msg, now);
    ok.then_some(peer)
}

/// The peer a response comes from, once it authenticates against the
/// initiation we sent.
fn consume_response(wg: &Wg, msg: &Response) -> Option<Arc<Peer>> {
    let entry = wg.index.lookup(msg.receiver_index(), |e| {
        matches!(e, IndexEntry::Handshake(_))
    })?;
    let peer = entry_peer(&entry).clone();
    let keys = wg.keys.lock();
    let ok = peer
        .handshake
        .lock()
        .hs
        .consume_response(msg, &keys.identity);
    drop(keys);
    ok.then_some(peer)
}

/// A cookie reply to a message we sent: remember the cookie for the mac2
/// of the next one.
fn consume_cookie(wg: &Wg, reply: &CookieReply) {
    let Some(entry) = wg.index.lookup(reply.receiver_index(), |_| true) else {
        return;
    };
    let peer = entry_peer(&entry);
    peer.cookie
        .lock()
        .consume_reply(reply, time::boottime_coarse_ns());
}

/// Derives the session of a completed handshake and installs it (the C
/// driver's `wg_noise_handshake_begin_session`): the keypair takes over the
/// handshake's index. `false` if there was no completed handshake.
pub(crate) fn begin_session(peer: &Arc<Peer>) -> bool {
    let mut h = peer.handshake.lock();
    begin_session_locked(peer, &mut h)
}

/// As [`begin_session`], with the peer's handshake lock held. The
/// initiator's handshake is in the index table, and its keypair replaces
/// it there; the responder's never was (its response is built and its
/// session derived in one hold of the lock, before the index is sent), and
/// its keypair takes the index the response carries, unless another entry
/// took that index meanwhile (a one in 2^32 chance per entry, which fails
/// the handshake: the initiator retries).
pub(crate) fn begin_session_locked(peer: &Arc<Peer>, h: &mut PeerHandshake) -> bool {
    let wg = &peer.device;
    let Some(keys) = h.hs.begin_session() else {
        return false;
    };
    let index = keys.local_index;
    let Ok(keypair) = Keypair::new(peer.clone(), keys, time::boottime_coarse_ns()) else {
        return false;
    };
    // Under RCU, so a removal's grace period waits for us: a dead peer gets
    // no new keypair after it cleared its slots.
    let _g = ReadGuard::new();
    if peer.is_dead() {
        return false;
    }
    // On failure the initiator's handshake entry stays, and `h.index` with
    // it, for whoever clears the handshake to remove.
    let entry = IndexEntry::Keypair(keypair.clone());
    let filed = if h.index.is_some() {
        wg.index.replace(index, entry)
    } else {
        wg.index.insert_at(index, entry)
    };
    if !matches!(filed, Ok(true)) {
        return false;
    }
    h.index = None;
    let initiator = keypair.i_am_the_initiator;
    let evicted = peer.keypairs.lock().add(keypair, initiator);
    for old in evicted.iter().flatten() {
        wg.unindex_keypair(old);
    }
    true
}

/// Notes a completed handshake's wall-clock time.
pub(crate) fn note_handshake_time(peer: &Peer) {
    let (sec, nsec) = time::realtime();
    peer.set_last_handshake(Walltime {
        sec,
        nsec: i64::from(nsec),
    });
}

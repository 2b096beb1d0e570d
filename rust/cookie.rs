// SPDX-License-Identifier: GPL-2.0

//! MAC1/MAC2 and cookie replies (the C driver's `cookie.c`): every handshake
//! message carries mac1, keyed by the receiver's public key, so only someone
//! who knows it can make us do Curve25519 work; under load we also demand
//! mac2, keyed by a cookie bound to the sender's address, which we hand out
//! in encrypted cookie replies.

use crate::kapi::crypto::{
    constant_time_eq,
    random_bytes,
    xchacha20poly1305_open,
    xchacha20poly1305_seal,
    Blake2s, //
};
use crate::messages::{
    mac1_offset,
    mac2_offset,
    CookieReply,
    COOKIE_LEN,
    COOKIE_NONCE_LEN,
    COOKIE_SECRET_LATENCY,
    COOKIE_SECRET_MAX_AGE,
    NOISE_SYMMETRIC_KEY_LEN, //
};
use crate::noise::{
    PublicKey,
    Secret,
    StaticIdentity, //
};

const LABEL_MAC1: &[u8] = b"mac1----";
const LABEL_COOKIE: &[u8] = b"cookie--";
const NSEC_PER_SEC: u64 = 1_000_000_000;

type MacKey = [u8; NOISE_SYMMETRIC_KEY_LEN];

/// Whether something born at `birth_ns` is `secs` old at `now_ns`.
pub(crate) fn has_expired(birth_ns: u64, secs: u64, now_ns: u64) -> bool {
    (birth_ns.wrapping_add(secs * NSEC_PER_SEC) as i64) <= now_ns as i64
}

fn precompute_key(label: &[u8], public: &PublicKey) -> MacKey {
    let mut key = [0u8; NOISE_SYMMETRIC_KEY_LEN];
    let mut h = Blake2s::new(NOISE_SYMMETRIC_KEY_LEN);
    h.update(label).update(public);
    h.finalize_into(&mut key);
    key
}

fn mac(key: &[u8], data: &[u8]) -> [u8; COOKIE_LEN] {
    let mut out = [0u8; COOKIE_LEN];
    let mut h = Blake2s::new_keyed(COOKIE_LEN, key);
    h.update(data);
    h.finalize_into(&mut out);
    out
}

/// The source of a handshake message: its IP address bytes (4 or 16) and
/// UDP port, which a cookie is bound to.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// IPv4 or IPv6 address, network order.
    pub(crate) addr: &'a [u8],
    /// UDP source port, host order.
    pub(crate) port: u16,
}

/// The result of checking a received handshake message's MACs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MacState {
    /// mac1 is wrong: drop the message.
    InvalidMac,
    /// mac1 is right, mac2 was not checked or is wrong.
    ValidMacButNoCookie,
    /// Both are right but the source is over its rate.
    ValidMacWithCookieButRatelimited,
    /// Both are right.
    ValidMacWithCookie,
}

/// A device's side: checks MACs of incoming handshake messages and makes
/// cookie replies.
pub(crate) struct CookieChecker {
    secret: Secret<32>,
    secret_birthdate: u64,
    cookie_encryption_key: MacKey,
    message_mac1_key: MacKey,
}

impl CookieChecker {
    /// A checker with a fresh random secret born at `now_ns`.
    pub(crate) fn new(now_ns: u64) -> Self {
        let mut secret = [0u8; 32];
        random_bytes(&mut secret);
        Self::with_secret(secret, now_ns)
    }

    /// A checker with a given secret (for known-answer tests).
    pub(crate) fn with_secret(secret: [u8; 32], now_ns: u64) -> Self {
        Self {
            secret: Secret::new(secret),
            secret_birthdate: now_ns,
            cookie_encryption_key: [0; NOISE_SYMMETRIC_KEY_LEN],
            message_mac1_key: [0; NOISE_SYMMETRIC_KEY_LEN],
        }
    }

    /// Recomputes the keys derived from our public key, after it changed.
    pub(crate) fn precompute_device_keys(&mut self, identity: &StaticIdentity) {
        if identity.has_identity() {
            self.cookie_encryption_key = precompute_key(LABEL_COOKIE, identity.public_key());
            self.message_mac1_key = precompute_key(LABEL_MAC1, identity.public_key());
        } else {
            self.cookie_encryption_key = [0; NOISE_SYMMETRIC_KEY_LEN];
            self.message_mac1_key = [0; NOISE_SYMMETRIC_KEY_LEN];
        }
    }

    /// The cookie for `src`, regenerating the secret if it is too old.
    fn make_cookie(&mut self, src: Source<'_>, now_ns: u64) -> [u8; COOKIE_LEN] {
        if has_expired(self.secret_birthdate, COOKIE_SECRET_MAX_AGE, now_ns) {
            let mut fresh = [0u8; 32];
            random_bytes(&mut fresh);
            self.secret.set(&fresh);
            self.secret_birthdate = now_ns;
        }
        let mut cookie = [0u8; COOKIE_LEN];
        let mut h = Blake2s::new_keyed(COOKIE_LEN, self.secret.bytes());
        h.update(src.addr).update(&src.port.to_be_bytes());
        h.finalize_into(&mut cookie);
        cookie
    }

    /// Checks the MACs of handshake message `msg` (its full wire bytes)
    /// from `src`. mac2 is checked only when `check_cookie` (we are under
    /// load); then `allow` is asked whether the source is within its rate.
    pub(crate) fn validate(
        &mut self,
        msg: &[u8],
        src: Source<'_>,
        check_cookie: bool,
        now_ns: u64,
        allow: impl FnOnce() -> bool,
    ) -> MacState {
        if msg.len() < 2 * COOKIE_LEN {
            return MacState::InvalidMac;
        }
        let m1 = mac1_offset(msg.len());
        let m2 = mac2_offset(msg.len());
        if !constant_time_eq(&mac(&self.message_mac1_key, &msg[..m1]), &msg[m1..m2]) {
            return MacState::InvalidMac;
        }
        if !check_cookie {
            return MacState::ValidMacButNoCookie;
        }
        let cookie = self.make_cookie(src, now_ns);
        if !constant_time_eq(&mac(&cookie, &msg[..m2]), &msg[m2..]) {
            return MacState::ValidMacButNoCookie;
        }
        if !allow() {
            return MacState::ValidMacWithCookieButRatelimited;
        }
        MacState::ValidMacWithCookie
    }

    /// The cookie reply to handshake message `msg` from `src`, addressed to
    /// the sender's index `index`, encrypted with `nonce`.
    pub(crate) fn create_reply(
        &mut self,
        msg: &[u8],
        src: Source<'_>,
        index: u32,
        nonce: &[u8; COOKIE_NONCE_LEN],
        now_ns: u64,
    ) -> Option<CookieReply> {
        if msg.len() < 2 * COOKIE_LEN {
            return None;
        }
        let m1 = mac1_offset(msg.len());
        let cookie = self.make_cookie(src, now_ns);
        let mut reply = CookieReply::new();
        reply.set_receiver_index(index);
        reply.0[CookieReply::NONCE..CookieReply::NONCE + COOKIE_NONCE_LEN].copy_from_slice(nonce);
        let dst = &mut reply.0[CookieReply::COOKIE..];
        if !xchacha20poly1305_seal(
            dst,
            &cookie,
            &msg[m1..m1 + COOKIE_LEN],
            nonce,
            &self.cookie_encryption_key,
        ) {
            return None;
        }
        Some(reply)
    }

    /// As [`CookieChecker::create_reply`] with a random nonce.
    pub(crate) fn create_reply_now(
        &mut self,
        msg: &[u8],
        src: Source<'_>,
        index: u32,
        now_ns: u64,
    ) -> Option<CookieReply> {
        let mut nonce = [0u8; COOKIE_NONCE_LEN];
        random_bytes(&mut nonce);
        self.create_reply(msg, src, index, &nonce, now_ns)
    }
}

/// A peer's side: the MAC keys for messages to it and the latest cookie it
/// gave us.
pub(crate) struct Cookie {
    birthdate: u64,
    is_valid: bool,
    cookie: [u8; COOKIE_LEN],
    have_sent_mac1: bool,
    last_mac1_sent: [u8; COOKIE_LEN],
    cookie_decryption_key: MacKey,
    message_mac1_key: MacKey,
}

impl Cookie {
    /// The state for a peer with public key `remote_static`.
    pub(crate) fn new(remote_static: &PublicKey) -> Self {
        Self {
            birthdate: 0,
            is_valid: false,
            cookie: [0; COOKIE_LEN],
            have_sent_mac1: false,
            last_mac1_sent: [0; COOKIE_LEN],
            cookie_decryption_key: precompute_key(LABEL_COOKIE, remote_static),
            message_mac1_key: precompute_key(LABEL_MAC1, remote_static),
        }
    }

    /// Fills in mac1 and, with a fresh enough cookie, mac2 of handshake
    /// message `msg` (its full wire bytes) before it is sent.
    pub(crate) fn add_macs(&mut self, msg: &mut [u8], now_ns: u64) {
        if msg.len() < 2 * COOKIE_LEN {
            return;
        }
        let m1 = mac1_offset(msg.len());
        let m2 = mac2_offset(msg.len());
        let mac1 = mac(&self.message_mac1_key, &msg[..m1]);
        msg[m1..m2].copy_from_slice(&mac1);
        self.last_mac1_sent = mac1;
        self.have_sent_mac1 = true;
        let fresh = self.is_valid
            && !has_expired(
                self.birthdate,
                COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY,
                now_ns,
            );
        let mac2 = if fresh {
            mac(&self.cookie, &msg[..m2])
        } else {
            [0; COOKIE_LEN]
        };
        msg[m2..].copy_from_slice(&mac2);
    }

    /// Takes the cookie from a reply to the last message we sent. Returns
    /// `false`, changing nothing, if we sent nothing or it does not decrypt.
    pub(crate) fn consume_reply(&mut self, reply: &CookieReply, now_ns: u64) -> bool {
        if !self.have_sent_mac1 {
            return false;
        }
        let mut cookie = [0u8; COOKIE_LEN];
        if !xchacha20poly1305_open(
            &mut cookie,
            &reply.0[CookieReply::COOKIE..],
            &self.last_mac1_sent,
            &reply.nonce(),
            &self.cookie_decryption_key,
        ) {
            return false;
        }
        self.cookie = cookie;
        self.birthdate = now_ns;
        self.is_valid = true;
        self.have_sent_mac1 = false;
        true
    }
}

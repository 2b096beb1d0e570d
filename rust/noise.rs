// SPDX-License-Identifier: GPL-2.0

//! The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake as WireGuard uses it
//! (the C driver's `noise.c`): static identities, per-peer handshake state,
//! creating and consuming initiations and responses, and deriving the
//! transport keys. Bytes in, bytes out: no devices, sockets or tables here.
//! Callers serialise access to a [`Handshake`] (it is `&mut self`) and
//! supply indices, randomness and time, which keeps every step testable
//! with fixed inputs.
//!
//! Every function that can fail leaves the handshake unchanged on failure:
//! all work is done on local copies, committed only at the end.

use crate::kapi::crypto::{
    blake2s_256,
    chacha20poly1305_open,
    chacha20poly1305_seal,
    constant_time_eq,
    curve25519,
    curve25519_generate_public,
    memzero,
    random_bytes,
    BLAKE2S_BLOCK_LEN, //
};
use crate::kapi::time;
use crate::messages::{
    Initiation,
    Response,
    INITIATIONS_PER_SECOND,
    NOISE_AUTHTAG_LEN,
    NOISE_HASH_LEN,
    NOISE_PUBLIC_KEY_LEN,
    NOISE_SYMMETRIC_KEY_LEN,
    NOISE_TIMESTAMP_LEN, //
};

/// The protocol name that starts every handshake's chaining key.
#[cfg_attr(
    not(wgrs_kunit_tests),
    expect(dead_code, reason = "hashed into INITIAL_CHAINING_KEY, checked by KUnit")
)]
pub(crate) const CONSTRUCTION: &[u8] = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
/// The prologue mixed into every handshake's hash.
#[cfg_attr(
    not(wgrs_kunit_tests),
    expect(dead_code, reason = "hashed into INITIAL_HASH, checked by KUnit")
)]
pub(crate) const IDENTIFIER: &[u8] = b"WireGuard v1 zx2c4 Jason@zx2c4.com";

/// `HASH(CONSTRUCTION)`: every handshake's first chaining key, the same for
/// all of them, so not computed for each (the KUnit suite checks it).
pub(crate) const INITIAL_CHAINING_KEY: [u8; NOISE_HASH_LEN] = [
    0x60, 0xe2, 0x6d, 0xae, 0xf3, 0x27, 0xef, 0xc0, 0x2e, 0xc3, 0x35, 0xe2, 0xa0, 0x25, 0xd2, 0xd0,
    0x16, 0xeb, 0x42, 0x06, 0xf8, 0x72, 0x77, 0xf5, 0x2d, 0x38, 0xd1, 0x98, 0x8b, 0x78, 0xcd, 0x36,
];
/// `HASH(INITIAL_CHAINING_KEY || IDENTIFIER)`: every handshake's first hash.
pub(crate) const INITIAL_HASH: [u8; NOISE_HASH_LEN] = [
    0x22, 0x11, 0xb3, 0x61, 0x08, 0x1a, 0xc5, 0x66, 0x69, 0x12, 0x43, 0xdb, 0x45, 0x8a, 0xd5, 0x32,
    0x2d, 0x9c, 0x6c, 0x66, 0x22, 0x93, 0xe8, 0xb7, 0x0e, 0xe1, 0x9c, 0x65, 0xba, 0x07, 0x9e, 0xf3,
];

/// A public key.
pub(crate) type PublicKey = [u8; NOISE_PUBLIC_KEY_LEN];

/// Secret bytes, zeroed when dropped or overwritten through [`Secret::set`].
pub(crate) struct Secret<const N: usize>([u8; N]);

impl<const N: usize> Secret<N> {
    /// All zeros.
    pub(crate) const fn zero() -> Self {
        Self([0; N])
    }

    /// Takes `bytes` (the caller zeroes its own copy if it matters).
    pub(crate) const fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// The secret bytes.
    pub(crate) fn bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// Replaces the secret.
    pub(crate) fn set(&mut self, bytes: &[u8; N]) {
        self.0.copy_from_slice(bytes);
    }

    /// Whether all bytes are zero, in constant time.
    pub(crate) fn is_zero(&self) -> bool {
        constant_time_eq(&self.0, &[0u8; N])
    }

    fn clear(&mut self) {
        memzero(&mut self.0);
    }
}

impl<const N: usize> Clone for Secret<N> {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        memzero(&mut self.0);
    }
}

/// A symmetric key.
pub(crate) type Key = Secret<NOISE_SYMMETRIC_KEY_LEN>;

/// Clamps a Curve25519 private key the way X25519 does.
pub(crate) fn clamp_secret(key: &mut [u8; NOISE_PUBLIC_KEY_LEN]) {
    key[0] &= 248;
    key[31] = (key[31] & 127) | 64;
}

/// A fresh random, clamped Curve25519 private key.
pub(crate) fn generate_secret() -> Key {
    let mut key = Key::zero();
    random_bytes(&mut key.0);
    clamp_secret(&mut key.0);
    key
}

fn hash(first: &[u8], second: &[u8]) -> [u8; NOISE_HASH_LEN] {
    let mut out = [0u8; NOISE_HASH_LEN];
    blake2s_256(&mut out, first, &[second]);
    out
}

/// HMAC's padded key, `key` XOR `byte` then `byte` to the block's end,
/// built eight bytes at a time (a byte loop is most of HMAC's own work).
fn hmac_pad(key: &[u8; NOISE_HASH_LEN], byte: u8) -> [u8; BLAKE2S_BLOCK_LEN] {
    let fill = u64::from_ne_bytes([byte; 8]);
    let mut pad = [0u8; BLAKE2S_BLOCK_LEN];
    let mut words = pad.chunks_exact_mut(8);
    // The key first: `zip` stops at it without taking a word it would drop.
    for (k, word) in key.chunks_exact(8).zip(words.by_ref()) {
        let mut kw = [0u8; 8];
        kw.copy_from_slice(k);
        word.copy_from_slice(&(u64::from_ne_bytes(kw) ^ fill).to_ne_bytes());
    }
    for word in words {
        word.copy_from_slice(&fill.to_ne_bytes());
    }
    pad
}

/// HMAC-BLAKE2s of the concatenation of `parts` under `key` (at most one
/// block long, which every caller's 32-byte key is).
fn hmac(out: &mut [u8; NOISE_HASH_LEN], key: &[u8; NOISE_HASH_LEN], parts: &[&[u8]]) {
    let mut pad = hmac_pad(key, 0x36);
    let mut ihash = [0u8; NOISE_HASH_LEN];
    blake2s_256(&mut ihash, &pad, parts);
    pad = hmac_pad(key, 0x5c);
    blake2s_256(out, &pad, &[&ihash]);
    memzero(&mut pad);
    memzero(&mut ihash);
}

/// HKDF over HMAC-BLAKE2s: derives `outs.len()` (1 to 3) keys from
/// `chaining_key` and `data`.
fn kdf(outs: &mut [&mut [u8; NOISE_HASH_LEN]], chaining_key: &[u8; NOISE_HASH_LEN], data: &[u8]) {
    let mut secret = [0u8; NOISE_HASH_LEN];
    hmac(&mut secret, chaining_key, &[data]);
    let mut prev = [0u8; NOISE_HASH_LEN];
    for (i, out) in outs.iter_mut().enumerate() {
        let counter = [i as u8 + 1];
        let mut next = [0u8; NOISE_HASH_LEN];
        if i == 0 {
            hmac(&mut next, &secret, &[&counter]);
        } else {
            hmac(&mut next, &secret, &[&prev, &counter]);
        }
        out.copy_from_slice(&next);
        prev = next;
        memzero(&mut next);
    }
    memzero(&mut secret);
    memzero(&mut prev);
}

/// The symmetric state of a handshake in progress: chaining key and hash.
struct SymmetricState {
    chaining_key: Secret<NOISE_HASH_LEN>,
    hash: [u8; NOISE_HASH_LEN],
}

impl SymmetricState {
    /// Initial state for a handshake towards `responder_static`.
    fn new(responder_static: &PublicKey) -> Self {
        let mut s = Self {
            chaining_key: Secret::new(INITIAL_CHAINING_KEY),
            hash: INITIAL_HASH,
        };
        s.mix_hash(responder_static);
        s
    }

    fn mix_hash(&mut self, data: &[u8]) {
        self.hash = hash(&self.hash, data);
    }

    /// Mixes a Diffie-Hellman result into the chaining key and returns the
    /// derived key. Fails on a low-order point (all-zero shared secret).
    fn mix_dh(&mut self, private: &Key, public: &PublicKey) -> Option<Key> {
        let mut dh = Secret::<NOISE_PUBLIC_KEY_LEN>::zero();
        if !curve25519(&mut dh.0, private.bytes(), public) {
            return None;
        }
        Some(self.mix_key(dh.bytes()))
    }

    /// As [`SymmetricState::mix_dh`] where no message key is needed (the
    /// response's ee and se): only the chaining key is derived, one HMAC
    /// fewer (HKDF's first output does not depend on how many follow).
    fn mix_dh_chaining_only(&mut self, private: &Key, public: &PublicKey) -> Option<()> {
        let mut dh = Secret::<NOISE_PUBLIC_KEY_LEN>::zero();
        if !curve25519(&mut dh.0, private.bytes(), public) {
            return None;
        }
        let mut ck = Secret::<NOISE_HASH_LEN>::zero();
        kdf(&mut [&mut ck.0], self.chaining_key.bytes(), dh.bytes());
        self.chaining_key = ck;
        Some(())
    }

    /// As [`SymmetricState::mix_dh`] with a precomputed static-static
    /// result; an all-zero one (no identity, or a low-order peer key) fails.
    fn mix_precomputed_dh(&mut self, precomputed: &Key) -> Option<Key> {
        if precomputed.is_zero() {
            return None;
        }
        Some(self.mix_key(precomputed.bytes()))
    }

    fn mix_key(&mut self, input: &[u8]) -> Key {
        let mut ck = Secret::<NOISE_HASH_LEN>::zero();
        let mut key = Key::zero();
        kdf(
            &mut [&mut ck.0, &mut key.0],
            self.chaining_key.bytes(),
            input,
        );
        self.chaining_key = ck;
        key
    }

    /// Mixes an unencrypted ephemeral public key into hash and chaining key.
    fn mix_ephemeral(&mut self, ephemeral: &PublicKey) {
        self.mix_hash(ephemeral);
        let mut ck = Secret::<NOISE_HASH_LEN>::zero();
        kdf(&mut [&mut ck.0], self.chaining_key.bytes(), ephemeral);
        self.chaining_key = ck;
    }

    /// Mixes the preshared key, returning the key for the final message.
    fn mix_psk(&mut self, psk: &Key) -> Key {
        let mut ck = Secret::<NOISE_HASH_LEN>::zero();
        let mut tau = Secret::<NOISE_HASH_LEN>::zero();
        let mut key = Key::zero();
        kdf(
            &mut [&mut ck.0, &mut tau.0, &mut key.0],
            self.chaining_key.bytes(),
            psk.bytes(),
        );
        self.chaining_key = ck;
        self.mix_hash(tau.bytes());
        key
    }

    /// AEAD-encrypts `plain` into `dst` (plain + tag) with the hash as
    /// associated data, then mixes the ciphertext into the hash.
    fn encrypt_and_hash(&mut self, dst: &mut [u8], plain: &[u8], key: &Key) -> Option<()> {
        if !chacha20poly1305_seal(dst, plain, &self.hash, 0, key.bytes()) {
            return None;
        }
        self.mix_hash(dst);
        Some(())
    }

    /// The inverse of [`SymmetricState::encrypt_and_hash`].
    fn decrypt_and_hash(&mut self, dst: &mut [u8], sealed: &[u8], key: &Key) -> Option<()> {
        if !chacha20poly1305_open(dst, sealed, &self.hash, 0, key.bytes()) {
            return None;
        }
        self.mix_hash(sealed);
        Some(())
    }
}

/// A device's own static key pair.
pub(crate) struct StaticIdentity {
    private: Key,
    public: PublicKey,
    has_identity: bool,
}

impl StaticIdentity {
    /// No identity: handshakes fail until a private key is set.
    pub(crate) const fn new() -> Self {
        Self {
            private: Key::zero(),
            public: [0; NOISE_PUBLIC_KEY_LEN],
            has_identity: false,
        }
    }

    /// Sets the private key (clamped, as the C driver stores and reports
    /// it) and derives the public key. A key whose public key cannot be
    /// computed leaves the device without identity, like the C driver.
    pub(crate) fn set_private_key(&mut self, key: &[u8; NOISE_PUBLIC_KEY_LEN]) {
        self.private.set(key);
        clamp_secret(&mut self.private.0);
        self.has_identity = curve25519_generate_public(&mut self.public, key);
    }

    /// Whether a usable private key is set.
    pub(crate) fn has_identity(&self) -> bool {
        self.has_identity
    }

    /// The (clamped) private key.
    pub(crate) fn private_key(&self) -> &[u8; NOISE_PUBLIC_KEY_LEN] {
        self.private.bytes()
    }

    /// The public key.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public
    }
}

/// Where a peer's handshake stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum HandshakeState {
    /// Nothing in progress.
    Zeroed,
    /// We sent an initiation and wait for the response.
    CreatedInitiation,
    /// We accepted an initiation and will respond.
    ConsumedInitiation,
    /// We responded; keys can be derived.
    CreatedResponse,
    /// We accepted the response to our initiation; keys can be derived.
    ConsumedResponse,
}

/// One peer's handshake state.
pub(crate) struct Handshake {
    state: HandshakeState,
    remote_static: PublicKey,
    precomputed_static_static: Key,
    preshared_key: Key,
    ephemeral_private: Key,
    remote_ephemeral: PublicKey,
    hash: [u8; NOISE_HASH_LEN],
    chaining_key: Secret<NOISE_HASH_LEN>,
    latest_timestamp: [u8; NOISE_TIMESTAMP_LEN],
    last_initiation_consumption: u64,
    remote_index: u32,
    local_index: u32,
}

/// The transport keys and indices a completed handshake yields.
pub(crate) struct SessionKeys {
    /// Key for what we send.
    pub(crate) sending: Key,
    /// Key for what we receive.
    pub(crate) receiving: Key,
    /// Whether we initiated this handshake.
    pub(crate) i_am_the_initiator: bool,
    /// Our index for this session (the handshake's, which the session takes over).
    pub(crate) local_index: u32,
    /// The peer's index for this session.
    pub(crate) remote_index: u32,
}

/// An initiation whose sender is authenticated as far as our own static key
/// allows; [`Handshake::consume_initiation`] finishes it with the state of
/// the peer found by [`InitiationInProgress::remote_static`].
pub(crate) struct InitiationInProgress {
    sym: SymmetricState,
    ephemeral: PublicKey,
    remote_static: PublicKey,
}

impl InitiationInProgress {
    /// Starts consuming `msg` with our identity: decrypts the sender's
    /// static key. `None` if we have no identity or decryption fails.
    pub(crate) fn begin(msg: &Initiation, identity: &StaticIdentity) -> Option<Self> {
        if !identity.has_identity {
            return None;
        }
        let mut sym = SymmetricState::new(&identity.public);
        let e = msg.ephemeral();
        sym.mix_ephemeral(&e);
        let key = sym.mix_dh(&identity.private, &e)?;
        let mut s = [0u8; NOISE_PUBLIC_KEY_LEN];
        let sealed = &msg.0[Initiation::STATIC..Initiation::STATIC + Initiation::STATIC_LEN];
        sym.decrypt_and_hash(&mut s, sealed, &key)?;
        drop(key);
        Some(Self {
            sym,
            ephemeral: e,
            remote_static: s,
        })
    }

    /// The initiator's static public key, to find its peer by.
    pub(crate) fn remote_static(&self) -> &PublicKey {
        &self.remote_static
    }
}

/// A TAI64N timestamp of the current time, with the nanoseconds rounded down
/// so as not to leak precise timer values (as the C driver does).
pub(crate) fn tai64n_now() -> [u8; NOISE_TIMESTAMP_LEN] {
    let (sec, nsec) = time::realtime();
    // Largest power of two not above the minimum spacing of initiations.
    let spacing = 1_000_000_000u64 / INITIATIONS_PER_SECOND;
    let granule = 1u64 << (63 - spacing.leading_zeros());
    let nsec = (u64::from(nsec) & !(granule - 1)) as u32;
    let mut out = [0u8; NOISE_TIMESTAMP_LEN];
    out[..8].copy_from_slice(&0x400000000000000au64.wrapping_add(sec as u64).to_be_bytes());
    out[8..].copy_from_slice(&nsec.to_be_bytes());
    out
}

impl Handshake {
    /// A handshake with the peer whose static public key is
    /// `remote_static`, using `preshared_key` (all zeros for none).
    pub(crate) fn new(
        identity: &StaticIdentity,
        remote_static: &PublicKey,
        preshared_key: &Key,
    ) -> Self {
        let mut hs = Self {
            state: HandshakeState::Zeroed,
            remote_static: *remote_static,
            precomputed_static_static: Key::zero(),
            preshared_key: preshared_key.clone(),
            ephemeral_private: Key::zero(),
            remote_ephemeral: [0; NOISE_PUBLIC_KEY_LEN],
            hash: [0; NOISE_HASH_LEN],
            chaining_key: Secret::zero(),
            latest_timestamp: [0; NOISE_TIMESTAMP_LEN],
            last_initiation_consumption: 0,
            remote_index: 0,
            local_index: 0,
        };
        hs.precompute_static_static(identity);
        hs
    }

    /// Recomputes the static-static DH after our identity changed. A
    /// low-order peer key yields zeros, which make every handshake fail.
    pub(crate) fn precompute_static_static(&mut self, identity: &StaticIdentity) {
        self.precomputed_static_static.clear();
        if identity.has_identity
            && !curve25519(
                &mut self.precomputed_static_static.0,
                identity.private.bytes(),
                &self.remote_static,
            )
        {
            self.precomputed_static_static.clear();
        }
    }

    /// Sets the preshared key (all zeros for none).
    pub(crate) fn set_preshared_key(&mut self, psk: &Key) {
        self.preshared_key = psk.clone();
    }

    /// The preshared key.
    pub(crate) fn preshared_key(&self) -> &Key {
        &self.preshared_key
    }

    /// The current state.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn state(&self) -> HandshakeState {
        self.state
    }

    /// Forgets the handshake in progress (not the replay and flood state).
    pub(crate) fn clear(&mut self) {
        self.ephemeral_private.clear();
        self.remote_ephemeral = [0; NOISE_PUBLIC_KEY_LEN];
        self.hash = [0; NOISE_HASH_LEN];
        self.chaining_key.clear();
        self.remote_index = 0;
        self.state = HandshakeState::Zeroed;
    }

    /// Creates an initiation with ephemeral private key `ephemeral`,
    /// timestamp `timestamp` and our index `sender_index` (mac1 and mac2
    /// are left zero for the cookie layer). `None` without identity or
    /// with a low-order peer key; then nothing changes.
    pub(crate) fn create_initiation(
        &mut self,
        identity: &StaticIdentity,
        ephemeral: Key,
        timestamp: &[u8; NOISE_TIMESTAMP_LEN],
        sender_index: u32,
    ) -> Option<Initiation> {
        if !identity.has_identity {
            return None;
        }
        let mut msg = Initiation::new();
        let mut sym = SymmetricState::new(&self.remote_static);
        let mut e_pub = [0u8; NOISE_PUBLIC_KEY_LEN];
        if !curve25519_generate_public(&mut e_pub, ephemeral.bytes()) {
            return None;
        }
        msg.0[Initiation::EPHEMERAL..Initiation::EPHEMERAL + NOISE_PUBLIC_KEY_LEN]
            .copy_from_slice(&e_pub);
        sym.mix_ephemeral(&e_pub);
        // es
        let key = sym.mix_dh(&ephemeral, &self.remote_static)?;
        // s
        let dst = &mut msg.0[Initiation::STATIC..Initiation::STATIC + Initiation::STATIC_LEN];
        sym.encrypt_and_hash(dst, &identity.public, &key)?;
        // ss
        let key = sym.mix_precomputed_dh(&self.precomputed_static_static)?;
        // {t}
        let dst =
            &mut msg.0[Initiation::TIMESTAMP..Initiation::TIMESTAMP + Initiation::TIMESTAMP_LEN];
        sym.encrypt_and_hash(dst, timestamp, &key)?;
        msg.set_sender_index(sender_index);

        self.ephemeral_private = ephemeral;
        self.hash = sym.hash;
        self.chaining_key = sym.chaining_key;
        self.local_index = sender_index;
        self.state = HandshakeState::CreatedInitiation;
        Some(msg)
    }

    /// Finishes consuming an initiation from this handshake's peer at
    /// boot-time `now_ns`: checks the static-static DH, decrypts the
    /// timestamp, and rejects replays (a timestamp not newer than the last
    /// accepted) and floods (initiations closer together than allowed).
    /// Returns `false`, changing nothing, on any failure.
    pub(crate) fn consume_initiation(
        &mut self,
        mut st: InitiationInProgress,
        msg: &Initiation,
        now_ns: u64,
    ) -> bool {
        if !constant_time_eq(&st.remote_static, &self.remote_static) {
            return false;
        }
        // ss
        let Some(key) = st.sym.mix_precomputed_dh(&self.precomputed_static_static) else {
            return false;
        };
        // {t}
        let mut t = [0u8; NOISE_TIMESTAMP_LEN];
        let sealed =
            &msg.0[Initiation::TIMESTAMP..Initiation::TIMESTAMP + Initiation::TIMESTAMP_LEN];
        if st.sym.decrypt_and_hash(&mut t, sealed, &key).is_none() {
            return false;
        }
        let replay = t <= self.latest_timestamp;
        let min_gap = 1_000_000_000 / INITIATIONS_PER_SECOND;
        let flood =
            (self.last_initiation_consumption as i64).wrapping_add(min_gap as i64) > now_ns as i64;
        if replay || flood {
            return false;
        }
        drop(key);
        self.remote_ephemeral = st.ephemeral;
        self.latest_timestamp = t;
        self.hash = st.sym.hash;
        self.chaining_key = core::mem::replace(&mut st.sym.chaining_key, Secret::zero());
        self.remote_index = msg.sender_index();
        if (self.last_initiation_consumption as i64).wrapping_sub(now_ns as i64) < 0 {
            self.last_initiation_consumption = now_ns;
        }
        self.state = HandshakeState::ConsumedInitiation;
        true
    }

    /// Creates the response to a consumed initiation with ephemeral private
    /// key `ephemeral` and our index `sender_index`. `None`, changing
    /// nothing, if no initiation was consumed or a DH is low-order.
    pub(crate) fn create_response(
        &mut self,
        ephemeral: Key,
        sender_index: u32,
    ) -> Option<Response> {
        if self.state != HandshakeState::ConsumedInitiation {
            return None;
        }
        let mut sym = SymmetricState {
            chaining_key: self.chaining_key.clone(),
            hash: self.hash,
        };
        let mut msg = Response::new();
        msg.set_receiver_index(self.remote_index);
        let mut e_pub = [0u8; NOISE_PUBLIC_KEY_LEN];
        if !curve25519_generate_public(&mut e_pub, ephemeral.bytes()) {
            return None;
        }
        msg.0[Response::EPHEMERAL..Response::EPHEMERAL + NOISE_PUBLIC_KEY_LEN]
            .copy_from_slice(&e_pub);
        sym.mix_ephemeral(&e_pub);
        // ee, se
        sym.mix_dh_chaining_only(&ephemeral, &self.remote_ephemeral)?;
        sym.mix_dh_chaining_only(&ephemeral, &self.remote_static)?;
        // psk
        let key = sym.mix_psk(&self.preshared_key);
        // {}
        let dst = &mut msg.0[Response::NOTHING..Response::NOTHING + NOISE_AUTHTAG_LEN];
        sym.encrypt_and_hash(dst, &[], &key)?;
        msg.set_sender_index(sender_index);

        self.ephemeral_private = ephemeral;
        self.hash = sym.hash;
        self.chaining_key = sym.chaining_key;
        self.local_index = sender_index;
        self.state = HandshakeState::CreatedResponse;
        Some(msg)
    }

    /// Consumes the response to our initiation. Returns `false`, changing
    /// nothing, unless we sent an initiation and the response authenticates.
    pub(crate) fn consume_response(&mut self, msg: &Response, identity: &StaticIdentity) -> bool {
        if self.state != HandshakeState::CreatedInitiation || !identity.has_identity {
            return false;
        }
        let mut sym = SymmetricState {
            chaining_key: self.chaining_key.clone(),
            hash: self.hash,
        };
        let e = msg.ephemeral();
        sym.mix_ephemeral(&e);
        // ee, se
        if sym.mix_dh_chaining_only(&self.ephemeral_private, &e).is_none()
            || sym.mix_dh_chaining_only(&identity.private, &e).is_none()
        {
            return false;
        }
        // psk
        let key = sym.mix_psk(&self.preshared_key);
        // {}
        let sealed = &msg.0[Response::NOTHING..Response::NOTHING + NOISE_AUTHTAG_LEN];
        if sym.decrypt_and_hash(&mut [], sealed, &key).is_none() {
            return false;
        }
        self.remote_ephemeral = e;
        self.hash = sym.hash;
        self.chaining_key = sym.chaining_key;
        self.remote_index = msg.sender_index();
        self.state = HandshakeState::ConsumedResponse;
        true
    }

    /// Derives the transport keys of a completed handshake and resets the
    /// handshake. `None` unless a response was created or consumed.
    pub(crate) fn begin_session(&mut self) -> Option<SessionKeys> {
        let initiator = match self.state {
            HandshakeState::ConsumedResponse => true,
            HandshakeState::CreatedResponse => false,
            _ => return None,
        };
        let mut first = Key::zero();
        let mut second = Key::zero();
        kdf(
            &mut [&mut first.0, &mut second.0],
            self.chaining_key.bytes(),
            &[],
        );
        let (sending, receiving) = if initiator {
            (first, second)
        } else {
            (second, first)
        };
        let keys = SessionKeys {
            sending,
            receiving,
            i_am_the_initiator: initiator,
            local_index: self.local_index,
            remote_index: self.remote_index,
        };
        self.clear();
        Some(keys)
    }

    /// A digest of the whole handshake state, for tests that check a
    /// failed operation changed nothing.
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn state_digest(&self) -> [u8; NOISE_HASH_LEN] {
        let ts = self.last_initiation_consumption.to_le_bytes();
        let ri = self.remote_index.to_le_bytes();
        let li = self.local_index.to_le_bytes();
        let mut out = [0u8; NOISE_HASH_LEN];
        blake2s_256(
            &mut out,
            &[self.state as u8],
            &[
                &self.remote_static,
                self.precomputed_static_static.bytes(),
                self.preshared_key.bytes(),
                self.ephemeral_private.bytes(),
                &self.remote_ephemeral,
                &self.hash,
                self.chaining_key.bytes(),
                &self.latest_timestamp,
                &ts,
                &ri,
                &li,
            ],
        );
        out
    }
}

// SPDX-License-Identifier: GPL-2.0

//! WireGuard's messages and protocol constants (the C driver's
//! `messages.h`). Messages are kept as their exact wire bytes with typed
//! accessors, so MACs are computed over exactly what is sent and parsing
//! checks the length and type before any field is read.

/// Curve25519 public or private key length.
pub(crate) const NOISE_PUBLIC_KEY_LEN: usize = 32;
/// ChaCha20-Poly1305 key length.
pub(crate) const NOISE_SYMMETRIC_KEY_LEN: usize = 32;
/// TAI64N timestamp length: 8 bytes of seconds, 4 of nanoseconds.
pub(crate) const NOISE_TIMESTAMP_LEN: usize = 12;
/// Poly1305 tag length.
pub(crate) const NOISE_AUTHTAG_LEN: usize = 16;
/// BLAKE2s hash length.
pub(crate) const NOISE_HASH_LEN: usize = 32;

/// Seconds after which the cookie secret is regenerated.
pub(crate) const COOKIE_SECRET_MAX_AGE: u64 = 2 * 60;
/// Seconds of slack before a cookie is considered too old to send.
pub(crate) const COOKIE_SECRET_LATENCY: u64 = 5;
/// XChaCha20-Poly1305 nonce length of a cookie reply.
pub(crate) const COOKIE_NONCE_LEN: usize = 24;
/// Length of a cookie and of a MAC.
pub(crate) const COOKIE_LEN: usize = 16;

/// Bits of the replay window bitmap.
pub(crate) const COUNTER_BITS_TOTAL: u64 = 8192;
/// Bits of the bitmap not usable as window (one word, as in the C driver).
pub(crate) const COUNTER_REDUNDANT_BITS: u64 = 64;
/// Width of the replay window.
pub(crate) const COUNTER_WINDOW_SIZE: u64 = COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS;

/// Messages after which a new handshake is started.
pub(crate) const REKEY_AFTER_MESSAGES: u64 = 1 << 60;
/// Messages after which a keypair is no longer used at all.
pub(crate) const REJECT_AFTER_MESSAGES: u64 = u64::MAX - COUNTER_WINDOW_SIZE - 1;
/// Seconds between handshake attempts.
pub(crate) const REKEY_TIMEOUT: u64 = 5;
/// Largest random jitter added to `REKEY_TIMEOUT`, in milliseconds (HZ/3).
pub(crate) const REKEY_TIMEOUT_JITTER_MAX_MS: u64 = 333;
/// Seconds after which the initiator starts a new handshake.
pub(crate) const REKEY_AFTER_TIME: u64 = 120;
/// Seconds after which a keypair is no longer used at all.
pub(crate) const REJECT_AFTER_TIME: u64 = 180;
/// Most handshake initiations accepted from one peer per second.
pub(crate) const INITIATIONS_PER_SECOND: u64 = 50;
/// Seconds of silence after which a keepalive is sent.
pub(crate) const KEEPALIVE_TIMEOUT: u64 = 10;
/// Handshake attempts before giving up (90 s worth).
pub(crate) const MAX_TIMER_HANDSHAKES: u64 = 90 / REKEY_TIMEOUT;
/// Handshake messages queued for processing per device.
pub(crate) const MAX_QUEUED_INCOMING_HANDSHAKES: usize = 4096;
/// Packets staged per peer while waiting for a handshake.
pub(crate) const MAX_STAGED_PACKETS: usize = 128;
/// Packets queued per device for encryption or decryption.
pub(crate) const MAX_QUEUED_PACKETS: usize = 1024;

/// Message types (the first little-endian word of every message).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MessageType {
    /// Handshake initiation.
    HandshakeInitiation = 1,
    /// Handshake response.
    HandshakeResponse = 2,
    /// Cookie reply.
    HandshakeCookie = 3,
    /// Transport data.
    Data = 4,
}

/// Every message is padded to a multiple of this many bytes.
pub(crate) const MESSAGE_PADDING_MULTIPLE: u32 = 16;

/// Header of a data message: type, receiver index, counter.
pub(crate) const MESSAGE_DATA_HEADER_LEN: usize = 16;

/// Length of a data message carrying `plain_len` bytes (before padding).
pub(crate) const fn message_data_len(plain_len: usize) -> usize {
    MESSAGE_DATA_HEADER_LEN + plain_len + NOISE_AUTHTAG_LEN
}

/// The shortest valid message: a data message with an empty payload.
pub(crate) const MESSAGE_MINIMUM_LENGTH: u32 = message_data_len(0) as u32;

/// Length of a handshake initiation.
pub(crate) const INITIATION_LEN: usize = 148;
/// Length of a handshake response.
pub(crate) const RESPONSE_LEN: usize = 92;
/// Length of a cookie reply.
pub(crate) const COOKIE_REPLY_LEN: usize = 64;

/// The type of the message in `bytes`, if it is a well-formed WireGuard
/// message: handshake messages must have their exact length, data messages
/// at least the minimum, and the three reserved bytes must be zero.
pub(crate) fn message_type(bytes: &[u8]) -> Option<MessageType> {
    let word = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
    let (ty, ok) = match word {
        1 => (
            MessageType::HandshakeInitiation,
            bytes.len() == INITIATION_LEN,
        ),
        2 => (MessageType::HandshakeResponse, bytes.len() == RESPONSE_LEN),
        3 => (
            MessageType::HandshakeCookie,
            bytes.len() == COOKIE_REPLY_LEN,
        ),
        4 => (
            MessageType::Data,
            bytes.len() >= MESSAGE_MINIMUM_LENGTH as usize,
        ),
        _ => return None,
    };
    ok.then_some(ty)
}

/// Copies `N` bytes at `off` out of `bytes` (in bounds by construction at
/// every call site: offsets are constants inside fixed-size arrays).
fn array<const N: usize>(bytes: &[u8], off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = bytes.get(off..off + N) {
        out.copy_from_slice(src);
    }
    out
}

fn le32(bytes: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(array(bytes, off))
}

macro_rules! wire_message {
    ($(#[$doc:meta])* $name:ident, $len:expr, $ty:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub(crate) struct $name(pub(crate) [u8; $len]);

        impl $name {
            /// A zeroed message of this type.
            pub(crate) fn new() -> Self {
                let mut m = Self([0u8; $len]);
                m.0[..4].copy_from_slice(&($ty as u32).to_le_bytes());
                m
            }

            /// Parses `bytes` if they are exactly a message of this type.
            pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
                if message_type(bytes)? != $ty {
                    return None;
                }
                Some(Self(bytes.try_into().ok()?))
            }

            /// The wire bytes.
            pub(crate) fn as_bytes(&self) -> &[u8] {
                &self.0
            }
        }
    };
}

wire_message!(
    /// Handshake initiation: type, sender index, unencrypted ephemeral,
    /// encrypted static (32+16), encrypted timestamp (12+16), mac1, mac2.
    Initiation, INITIATION_LEN, MessageType::HandshakeInitiation
);
wire_message!(
    /// Handshake response: type, sender index, receiver index, unencrypted
    /// ephemeral, encrypted nothing (0+16), mac1, mac2.
    Response, RESPONSE_LEN, MessageType::HandshakeResponse
);
wire_message!(
    /// Cookie reply: type, receiver index, nonce, encrypted cookie (16+16).
    CookieReply, COOKIE_REPLY_LEN, MessageType::HandshakeCookie
);

impl Initiation {
    pub(crate) const EPHEMERAL: usize = 8;
    pub(crate) const STATIC: usize = 40;
    pub(crate) const STATIC_LEN: usize = NOISE_PUBLIC_KEY_LEN + NOISE_AUTHTAG_LEN;
    pub(crate) const TIMESTAMP: usize = 88;
    pub(crate) const TIMESTAMP_LEN: usize = NOISE_TIMESTAMP_LEN + NOISE_AUTHTAG_LEN;

    pub(crate) fn sender_index(&self) -> u32 {
        le32(&self.0, 4)
    }
    pub(crate) fn set_sender_index(&mut self, index: u32) {
        self.0[4..8].copy_from_slice(&index.to_le_bytes());
    }
    pub(crate) fn ephemeral(&self) -> [u8; NOISE_PUBLIC_KEY_LEN] {
        array(&self.0, Self::EPHEMERAL)
    }
}

impl Response {
    pub(crate) const EPHEMERAL: usize = 12;
    pub(crate) const NOTHING: usize = 44;

    pub(crate) fn sender_index(&self) -> u32 {
        le32(&self.0, 4)
    }
    pub(crate) fn set_sender_index(&mut self, index: u32) {
        self.0[4..8].copy_from_slice(&index.to_le_bytes());
    }
    pub(crate) fn receiver_index(&self) -> u32 {
        le32(&self.0, 8)
    }
    pub(crate) fn set_receiver_index(&mut self, index: u32) {
        self.0[8..12].copy_from_slice(&index.to_le_bytes());
    }
    pub(crate) fn ephemeral(&self) -> [u8; NOISE_PUBLIC_KEY_LEN] {
        array(&self.0, Self::EPHEMERAL)
    }
}

impl CookieReply {
    pub(crate) const NONCE: usize = 8;
    pub(crate) const COOKIE: usize = 32;

    pub(crate) fn receiver_index(&self) -> u32 {
        le32(&self.0, 4)
    }
    pub(crate) fn set_receiver_index(&mut self, index: u32) {
        self.0[4..8].copy_from_slice(&index.to_le_bytes());
    }
    pub(crate) fn nonce(&self) -> [u8; COOKIE_NONCE_LEN] {
        array(&self.0, Self::NONCE)
    }
}

/// Offsets of mac1 and mac2, which end every handshake message.
pub(crate) const fn mac1_offset(len: usize) -> usize {
    len - 2 * COOKIE_LEN
}

/// See [`mac1_offset`].
pub(crate) const fn mac2_offset(len: usize) -> usize {
    len - COOKIE_LEN
}

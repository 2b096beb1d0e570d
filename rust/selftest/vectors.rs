// SPDX-License-Identifier: GPL-2.0

//! The shape of the known-answer vectors in `noise_vectors.rs`, which
//! `selftests/vectors/gen_noise_vectors.py` generates from an independent
//! Python implementation of the handshake.

/// One handshake with every input fixed, and its expected outputs.
pub(crate) struct NoiseVector {
    pub(crate) name: &'static str,
    pub(crate) initiator_static_private: [u8; 32],
    pub(crate) initiator_static_public: [u8; 32],
    pub(crate) responder_static_private: [u8; 32],
    pub(crate) responder_static_public: [u8; 32],
    pub(crate) initiator_ephemeral_private: [u8; 32],
    pub(crate) responder_ephemeral_private: [u8; 32],
    pub(crate) preshared_key: [u8; 32],
    pub(crate) timestamp: [u8; 12],
    pub(crate) initiator_index: u32,
    pub(crate) responder_index: u32,
    pub(crate) initiation: [u8; 148],
    pub(crate) response: [u8; 92],
    pub(crate) initiator_send_key: [u8; 32],
    pub(crate) initiator_receive_key: [u8; 32],
    pub(crate) cookie_secret: [u8; 32],
    pub(crate) source_address: &'static [u8],
    pub(crate) source_port: u16,
    pub(crate) cookie_nonce: [u8; 24],
    pub(crate) cookie: [u8; 16],
    pub(crate) cookie_reply: [u8; 64],
    pub(crate) initiation_with_mac2: [u8; 148],
}

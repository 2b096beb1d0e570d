// SPDX-License-Identifier: GPL-2.0

//! The handshake: known answers from an independent implementation, full
//! handshakes between two in-kernel identities, and every rejection path,
//! each checked to leave the handshake state unchanged.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_noise)]
mod tests {
    use crate::cookie::{
        Cookie,
        CookieChecker,
        MacState,
        Source, //
    };
    use crate::kapi::crypto::{
        chacha20poly1305_open,
        chacha20poly1305_seal,
        Blake2s, //
    };
    use crate::messages::{
        message_type,
        CookieReply,
        Initiation,
        MessageType,
        Response, //
    };
    use crate::noise::{
        generate_secret,
        tai64n_now, //
        Handshake,
        CONSTRUCTION,
        IDENTIFIER,
        INITIAL_CHAINING_KEY,
        INITIAL_HASH,
        HandshakeState,
        InitiationInProgress,
        Key,
        SessionKeys,
        StaticIdentity,
    };
    use crate::selftest::noise_vectors::NOISE_VECTORS;
    use kernel::prelude::*;

    const NOW: u64 = 1_000_000_000_000;
    const TS1: [u8; 12] = [0x40, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1];
    const TS2: [u8; 12] = [0x40, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 2];

    fn identity(private: &[u8; 32]) -> StaticIdentity {
        let mut id = StaticIdentity::new();
        id.set_private_key(private);
        id
    }

    fn random_identity() -> StaticIdentity {
        identity(generate_secret().bytes())
    }

    fn keys_match(a: &SessionKeys, b: &SessionKeys) -> bool {
        a.sending.bytes() == b.receiving.bytes()
            && a.receiving.bytes() == b.sending.bytes()
            && a.sending.bytes() != a.receiving.bytes()
            && a.i_am_the_initiator != b.i_am_the_initiator
    }

    /// Sends one packet each way with the session keys.
    fn packets_flow(a: &SessionKeys, b: &SessionKeys) -> bool {
        let msg = *b"wireguard-rs says hello";
        let mut sealed = [0u8; 23 + 16];
        let mut opened = [0u8; 23];
        chacha20poly1305_seal(&mut sealed, &msg, &[], 7, a.sending.bytes())
            && chacha20poly1305_open(&mut opened, &sealed, &[], 7, b.receiving.bytes())
            && opened == msg
            && chacha20poly1305_seal(&mut sealed, &msg, &[], 8, b.sending.bytes())
            && chacha20poly1305_open(&mut opened, &sealed, &[], 8, a.receiving.bytes())
    }

    #[test]
    fn initial_chaining_key_and_hash() {
        let mut ck = [0u8; 32];
        let mut h = Blake2s::new(32);
        h.update(CONSTRUCTION);
        h.finalize_into(&mut ck);
        assert_eq!(ck, INITIAL_CHAINING_KEY);
        let mut hash = [0u8; 32];
        let mut h = Blake2s::new(32);
        h.update(&ck).update(IDENTIFIER);
        h.finalize_into(&mut hash);
        assert_eq!(hash, INITIAL_HASH);
    }

    #[test]
    fn known_answer_vectors() -> Result {
        assert!(NOISE_VECTORS.len() >= 3);
        for v in NOISE_VECTORS {
            let ii = identity(&v.initiator_static_private);
            let ri = identity(&v.responder_static_private);
            assert_eq!(ii.public_key(), &v.initiator_static_public);
            assert_eq!(ri.public_key(), &v.responder_static_public);
            let psk = Key::new(v.preshared_key);
            let src = Source {
                addr: v.source_address,
                port: v.source_port,
            };

            // Our initiation, with our mac1, is byte-for-byte the generator's.
            let mut ih = Handshake::new(&ii, &v.responder_static_public, &psk);
            let mut init = ih
                .create_initiation(
                    &ii,
                    Key::new(v.initiator_ephemeral_private),
                    &v.timestamp,
                    v.initiator_index,
                )
                .ok_or(EINVAL)?;
            let mut icookie = Cookie::new(&v.responder_static_public);
            icookie.add_macs(&mut init.0, NOW);
            assert!(init.0 == v.initiation);

            // The responder accepts the generator's initiation ...
            let mut checker = CookieChecker::with_secret(v.cookie_secret, NOW);
            checker.precompute_device_keys(&ri);
            assert_eq!(
                checker.validate(&v.initiation, src, false, NOW, || true),
                MacState::ValidMacButNoCookie
            );
            let msg = Initiation::parse(&v.initiation).ok_or(EINVAL)?;
            let st = InitiationInProgress::begin(&msg, &ri).ok_or(EINVAL)?;
            assert_eq!(st.remote_static(), &v.initiator_static_public);
            let mut rh = Handshake::new(&ri, &v.initiator_static_public, &psk);
            assert!(rh.consume_initiation(st, &msg, NOW));

            // ... and answers with exactly the generator's response.
            let mut resp = rh
                .create_response(Key::new(v.responder_ephemeral_private), v.responder_index)
                .ok_or(EINVAL)?;
            let mut rcookie = Cookie::new(&v.initiator_static_public);
            rcookie.add_macs(&mut resp.0, NOW);
            assert!(resp.0 == v.response);

            // The initiator accepts the generator's response; keys match.
            let resp = Response::parse(&v.response).ok_or(EINVAL)?;
            assert!(ih.consume_response(&resp, &ii));
            let ik = ih.begin_session().ok_or(EINVAL)?;
            let rk = rh.begin_session().ok_or(EINVAL)?;
            assert!(ik.sending.bytes() == &v.initiator_send_key);
            assert!(ik.receiving.bytes() == &v.initiator_receive_key);
            assert!(keys_match(&ik, &rk));
            assert_eq!(ik.local_index, v.initiator_index);
            assert_eq!(ik.remote_index, v.responder_index);
            assert_eq!(rk.local_index, v.responder_index);
            assert_eq!(rk.remote_index, v.initiator_index);
            assert_eq!(ih.state(), HandshakeState::Zeroed);

            // Cookie reply, then mac2 from the decrypted cookie.
            let reply = checker
                .create_reply(&v.initiation, src, v.initiator_index, &v.cookie_nonce, NOW)
                .ok_or(EINVAL)?;
            assert!(reply.0 == v.cookie_reply);
            let reply = CookieReply::parse(&v.cookie_reply).ok_or(EINVAL)?;
            assert!(icookie.consume_reply(&reply, NOW));
            let mut again = Initiation::parse(&v.initiation).ok_or(EINVAL)?;
            icookie.add_macs(&mut again.0, NOW);
            assert!(again.0 == v.initiation_with_mac2);
            // mac2 is the vector's cookie over everything before mac2.
            let mut mac2 = [0u8; 16];
            let mut h = Blake2s::new_keyed(16, &v.cookie);
            h.update(&v.initiation_with_mac2[..132]);
            h.finalize_into(&mut mac2);
            assert!(mac2 == v.initiation_with_mac2[132..]);
            assert_eq!(
                checker.validate(&v.initiation_with_mac2, src, true, NOW, || true),
                MacState::ValidMacWithCookie
            );
            pr_info!("known-answer vector {}: ok\n", v.name);
        }
        Ok(())
    }

    fn full_handshake(with_psk: bool) -> Result {
        let a = random_identity();
        let b = random_identity();
        let psk = if with_psk {
            generate_secret()
        } else {
            Key::zero()
        };
        let mut ha = Handshake::new(&a, b.public_key(), &psk);
        let mut hb = Handshake::new(&b, a.public_key(), &psk);
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 11)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&init, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &init, NOW));
        let resp = hb.create_response(generate_secret(), 22).ok_or(EINVAL)?;
        assert!(ha.consume_response(&resp, &a));
        let ka = ha.begin_session().ok_or(EINVAL)?;
        let kb = hb.begin_session().ok_or(EINVAL)?;
        assert!(keys_match(&ka, &kb));
        assert!(ka.i_am_the_initiator);
        assert!(packets_flow(&ka, &kb));
        // A session is begun once.
        assert!(ha.begin_session().is_none());
        Ok(())
    }

    #[test]
    fn handshake_without_psk() -> Result {
        full_handshake(false)
    }

    #[test]
    fn handshake_with_psk() -> Result {
        full_handshake(true)
    }

    #[test]
    fn wrong_responder_static_key() -> Result {
        let a = random_identity();
        let b = random_identity();
        let c = random_identity();
        // a believes b's key is c's: b cannot decrypt a's static key.
        let mut ha = Handshake::new(&a, c.public_key(), &Key::zero());
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        assert!(InitiationInProgress::begin(&init, &b).is_none());
        // An initiator b does not know: decrypts, but no peer of b matches.
        let hb_for_c = Handshake::new(&b, c.public_key(), &Key::zero());
        let mut ha2 = Handshake::new(&a, b.public_key(), &Key::zero());
        let init = ha2
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&init, &b).ok_or(EINVAL)?;
        assert!(st.remote_static() == a.public_key());
        let mut hb = hb_for_c;
        let before = hb.state_digest();
        assert!(!hb.consume_initiation(st, &init, NOW));
        assert!(hb.state_digest() == before);
        Ok(())
    }

    #[test]
    fn wrong_psk() -> Result {
        let a = random_identity();
        let b = random_identity();
        let mut ha = Handshake::new(&a, b.public_key(), &generate_secret());
        let mut hb = Handshake::new(&b, a.public_key(), &generate_secret());
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&init, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &init, NOW));
        let resp = hb.create_response(generate_secret(), 2).ok_or(EINVAL)?;
        let before = ha.state_digest();
        assert!(!ha.consume_response(&resp, &a));
        assert!(ha.state_digest() == before);
        assert_eq!(ha.state(), HandshakeState::CreatedInitiation);
        assert!(ha.begin_session().is_none());
        Ok(())
    }

    #[test]
    fn replayed_and_flooded_initiations() -> Result {
        let a = random_identity();
        let b = random_identity();
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let mut hb = Handshake::new(&b, a.public_key(), &Key::zero());
        let init1 = ha
            .create_initiation(&a, generate_secret(), &TS2, 1)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&init1, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &init1, NOW));
        // The same initiation again, much later: a replay.
        let before = hb.state_digest();
        let st = InitiationInProgress::begin(&init1, &b).ok_or(EINVAL)?;
        assert!(!hb.consume_initiation(st, &init1, NOW + 10_000_000_000));
        assert!(hb.state_digest() == before);
        // An older timestamp: a replay too.
        let old = ha
            .create_initiation(&a, generate_secret(), &TS1, 2)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&old, &b).ok_or(EINVAL)?;
        assert!(!hb.consume_initiation(st, &old, NOW + 10_000_000_000));
        assert!(hb.state_digest() == before);
        // A newer timestamp, but within 1/50 s of the last: a flood.
        let mut ts3 = TS2;
        ts3[11] = 3;
        let newer = ha
            .create_initiation(&a, generate_secret(), &ts3, 3)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&newer, &b).ok_or(EINVAL)?;
        assert!(!hb.consume_initiation(st, &newer, NOW + 19_000_000));
        assert!(hb.state_digest() == before);
        // The same one after the gap: accepted.
        let st = InitiationInProgress::begin(&newer, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &newer, NOW + 21_000_000));
        Ok(())
    }

    /// A point of order 8 on Curve25519: every DH with it is all zeros.
    const ORDER8: [u8; 32] = [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ];

    #[test]
    fn low_order_keys_are_rejected() -> Result {
        let a = random_identity();
        let b = random_identity();
        // Peers whose public key is a low-order point.
        for point in [[0u8; 32], ORDER8] {
            let mut bad = Handshake::new(&a, &point, &Key::zero());
            let before = bad.state_digest();
            assert!(bad
                .create_initiation(&a, generate_secret(), &TS1, 1)
                .is_none());
            assert!(bad.state_digest() == before);
        }
        // An initiation carrying a low-order ephemeral key.
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        for point in [[0u8; 32], ORDER8] {
            let mut bad = init.clone();
            bad.0[Initiation::EPHEMERAL..Initiation::EPHEMERAL + 32].copy_from_slice(&point);
            assert!(InitiationInProgress::begin(&bad, &b).is_none());
        }
        // A response carrying a low-order ephemeral key.
        let mut hb = Handshake::new(&b, a.public_key(), &Key::zero());
        let st = InitiationInProgress::begin(&init, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &init, NOW));
        let resp = hb.create_response(generate_secret(), 2).ok_or(EINVAL)?;
        for point in [[0u8; 32], ORDER8] {
            let mut bad = resp.clone();
            bad.0[Response::EPHEMERAL..Response::EPHEMERAL + 32].copy_from_slice(&point);
            let before = ha.state_digest();
            assert!(!ha.consume_response(&bad, &a));
            assert!(ha.state_digest() == before);
        }
        // The genuine response still works afterwards.
        assert!(ha.consume_response(&resp, &a));
        Ok(())
    }

    #[test]
    fn no_identity_no_handshake() -> Result {
        let none = StaticIdentity::new();
        let b = random_identity();
        let mut h = Handshake::new(&none, b.public_key(), &Key::zero());
        assert!(h
            .create_initiation(&none, generate_secret(), &TS1, 1)
            .is_none());
        let a = random_identity();
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        assert!(InitiationInProgress::begin(&init, &none).is_none());
        Ok(())
    }

    #[test]
    fn responses_only_in_the_right_state() -> Result {
        let a = random_identity();
        let b = random_identity();
        let mut ha = Handshake::new(&a, b.public_key(), &Key::zero());
        let mut hb = Handshake::new(&b, a.public_key(), &Key::zero());
        // No initiation consumed: no response.
        assert!(hb.create_response(generate_secret(), 1).is_none());
        let init = ha
            .create_initiation(&a, generate_secret(), &TS1, 1)
            .ok_or(EINVAL)?;
        let st = InitiationInProgress::begin(&init, &b).ok_or(EINVAL)?;
        assert!(hb.consume_initiation(st, &init, NOW));
        let resp = hb.create_response(generate_secret(), 2).ok_or(EINVAL)?;
        // The responder cannot consume a response.
        let before = hb.state_digest();
        assert!(!hb.consume_response(&resp, &b));
        assert!(hb.state_digest() == before);
        // A response consumed twice: the second time there is no initiation.
        assert!(ha.consume_response(&resp, &a));
        assert!(!ha.consume_response(&resp, &a));
        Ok(())
    }

    #[test]
    fn tai64n_timestamps() {
        let a = tai64n_now();
        let b = tai64n_now();
        // TAI64 label: 2^62 + 10 + Unix seconds, big-endian; never decreasing.
        assert_eq!(a[0], 0x40);
        assert!(b >= a);
        // Nanoseconds are rounded down to a multiple of 2^24 (just under 1/50 s).
        let ns = u32::from_be_bytes([a[8], a[9], a[10], a[11]]);
        assert_eq!(ns & 0x00ff_ffff, 0);
        assert!(ns < 1_000_000_000);
        // Seconds: after 2020-01-01 (the VM takes the host's clock).
        let secs = u64::from_be_bytes([a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]]);
        assert!(secs - 0x4000_0000_0000_000a > 0x5e0b_e100);
    }

    #[test]
    fn truncated_and_oversized_messages() -> Result {
        let v = &NOISE_VECTORS[0];
        let mut big = KVec::new();
        big.extend_from_slice(&v.initiation, GFP_KERNEL)?;
        big.push(0, GFP_KERNEL)?;
        assert!(Initiation::parse(&v.initiation[..147]).is_none());
        assert!(Initiation::parse(&big).is_none());
        assert!(Initiation::parse(&[]).is_none());
        assert!(Response::parse(&v.response[..91]).is_none());
        assert!(Response::parse(&v.initiation).is_none());
        assert!(CookieReply::parse(&v.cookie_reply[..63]).is_none());
        assert!(message_type(&v.initiation) == Some(MessageType::HandshakeInitiation));
        assert!(message_type(&big).is_none());
        // Reserved bytes must be zero.
        let mut bad = v.initiation;
        bad[1] = 1;
        assert!(Initiation::parse(&bad).is_none());
        // Data messages: at least 32 bytes.
        let mut data = [0u8; 32];
        data[0] = 4;
        assert!(message_type(&data) == Some(MessageType::Data));
        assert!(message_type(&data[..31]).is_none());
        Ok(())
    }
}

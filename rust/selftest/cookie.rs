// SPDX-License-Identifier: GPL-2.0

//! MACs and cookies: tampering, load, rate limiting, secret rotation and
//! cookie expiry.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_cookie)]
mod tests {
    use crate::cookie::{
        Cookie,
        CookieChecker,
        MacState,
        Source, //
    };
    use crate::messages::{
        CookieReply,
        COOKIE_SECRET_LATENCY,
        COOKIE_SECRET_MAX_AGE, //
    };
    use crate::noise::{
        generate_secret,
        Handshake,
        Key,
        StaticIdentity, //
    };
    use kernel::prelude::*;

    const NOW: u64 = 5_000_000_000_000;
    const SEC: u64 = 1_000_000_000;
    const ADDR: [u8; 4] = [192, 0, 2, 7];
    const SRC: Source<'static> = Source {
        addr: &ADDR,
        port: 51820,
    };

    struct Pair {
        a: StaticIdentity,
        b: StaticIdentity,
    }

    fn pair() -> Pair {
        let mut a = StaticIdentity::new();
        a.set_private_key(generate_secret().bytes());
        let mut b = StaticIdentity::new();
        b.set_private_key(generate_secret().bytes());
        Pair { a, b }
    }

    /// An initiation from a to b with mac1 (and mac2 if a has a cookie).
    fn initiation(p: &Pair, c: &mut Cookie, now: u64) -> Result<[u8; 148]> {
        let mut h = Handshake::new(&p.a, p.b.public_key(), &Key::zero());
        let ts = [0x40, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        let mut m = h
            .create_initiation(&p.a, generate_secret(), &ts, 9)
            .ok_or(EINVAL)?;
        c.add_macs(&mut m.0, now);
        Ok(m.0)
    }

    fn checker(p: &Pair) -> CookieChecker {
        let mut ch = CookieChecker::new(NOW);
        ch.precompute_device_keys(&p.b);
        ch
    }

    #[test]
    fn mac1_checked_and_tampering_detected() -> Result {
        let p = pair();
        let mut c = Cookie::new(p.b.public_key());
        let mut ch = checker(&p);
        let m = initiation(&p, &mut c, NOW)?;
        assert_eq!(
            ch.validate(&m, SRC, false, NOW, || true),
            MacState::ValidMacButNoCookie
        );
        // Any flipped bit before or inside mac1 is caught.
        for i in [0usize, 4, 8, 40, 100, 115, 116, 131] {
            let mut bad = m;
            bad[i] ^= 1;
            assert_eq!(
                ch.validate(&bad, SRC, false, NOW, || true),
                MacState::InvalidMac
            );
        }
        // mac1 keyed for another receiver fails.
        let mut wrong = Cookie::new(p.a.public_key());
        let m2 = initiation(&p, &mut wrong, NOW)?;
        assert_eq!(
            ch.validate(&m2, SRC, false, NOW, || true),
            MacState::InvalidMac
        );
        // Too short to carry MACs.
        assert_eq!(
            ch.validate(&m[..20], SRC, false, NOW, || true),
            MacState::InvalidMac
        );
        Ok(())
    }

    #[test]
    fn under_load_mac2_required() -> Result {
        let p = pair();
        let mut c = Cookie::new(p.b.public_key());
        let mut ch = checker(&p);
        let m = initiation(&p, &mut c, NOW)?;
        // No cookie yet: mac2 is zero, which is not good enough under load.
        assert_eq!(
            ch.validate(&m, SRC, true, NOW, || true),
            MacState::ValidMacButNoCookie
        );
        // The cookie reply gives a the cookie; the retry carries mac2.
        let reply = ch.create_reply_now(&m, SRC, 9, NOW).ok_or(EINVAL)?;
        assert_eq!(reply.receiver_index(), 9);
        assert!(c.consume_reply(&reply, NOW));
        let m = initiation(&p, &mut c, NOW + SEC)?;
        assert_eq!(
            ch.validate(&m, SRC, true, NOW + SEC, || true),
            MacState::ValidMacWithCookie
        );
        assert_eq!(
            ch.validate(&m, SRC, true, NOW + SEC, || false),
            MacState::ValidMacWithCookieButRatelimited
        );
        // The cookie is bound to the source address and port.
        let other = Source {
            addr: &[192, 0, 2, 8],
            port: 51820,
        };
        assert_eq!(
            ch.validate(&m, other, true, NOW + SEC, || true),
            MacState::ValidMacButNoCookie
        );
        let other_port = Source {
            addr: &ADDR,
            port: 51821,
        };
        assert_eq!(
            ch.validate(&m, other_port, true, NOW + SEC, || true),
            MacState::ValidMacButNoCookie
        );
        Ok(())
    }

    #[test]
    fn cookie_reply_checks() -> Result {
        let p = pair();
        let mut c = Cookie::new(p.b.public_key());
        let mut ch = checker(&p);
        let m = initiation(&p, &mut c, NOW)?;
        let reply = ch.create_reply_now(&m, SRC, 9, NOW).ok_or(EINVAL)?;
        // A tampered reply is refused.
        let mut bad = reply.clone();
        bad.0[40] ^= 1;
        assert!(!c.consume_reply(&bad, NOW));
        // A reply to a message we did not send (another mac1) is refused.
        let m_other = initiation(&p, &mut c, NOW)?;
        let _ = m_other;
        assert!(!c.consume_reply(&reply, NOW));
        // Nothing sent since the last accepted reply: refused.
        let m = initiation(&p, &mut c, NOW)?;
        let reply = ch.create_reply_now(&m, SRC, 9, NOW).ok_or(EINVAL)?;
        assert!(c.consume_reply(&reply, NOW));
        assert!(!c.consume_reply(&reply, NOW));
        let parsed = CookieReply::parse(&reply.0).ok_or(EINVAL)?;
        assert!(!c.consume_reply(&parsed, NOW));
        Ok(())
    }

    #[test]
    fn secret_rotates_and_cookies_expire() -> Result {
        let p = pair();
        let mut c = Cookie::new(p.b.public_key());
        let mut ch = checker(&p);
        let m = initiation(&p, &mut c, NOW)?;
        let reply = ch.create_reply_now(&m, SRC, 9, NOW).ok_or(EINVAL)?;
        assert!(c.consume_reply(&reply, NOW));
        // Just before the sender stops using it, the cookie is still sent.
        let t = NOW + (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * SEC - 1;
        let m = initiation(&p, &mut c, t)?;
        assert!(m[132..].iter().any(|&x| x != 0));
        // From then on the sender leaves mac2 zero.
        let t = NOW + (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * SEC;
        let m = initiation(&p, &mut c, t)?;
        assert!(m[132..].iter().all(|&x| x == 0));
        // The checker's secret rotates after COOKIE_SECRET_MAX_AGE: a message
        // made with a cookie from before no longer validates after it.
        let mut c2 = Cookie::new(p.b.public_key());
        let m = initiation(&p, &mut c2, NOW)?;
        let reply = ch.create_reply_now(&m, SRC, 9, NOW).ok_or(EINVAL)?;
        assert!(c2.consume_reply(&reply, NOW));
        let t = NOW + 100 * SEC;
        let m = initiation(&p, &mut c2, t)?;
        assert_eq!(
            ch.validate(&m, SRC, true, t, || true),
            MacState::ValidMacWithCookie
        );
        let rotated = NOW + COOKIE_SECRET_MAX_AGE * SEC + SEC;
        assert_eq!(
            ch.validate(&m, SRC, true, rotated, || true),
            MacState::ValidMacButNoCookie
        );
        Ok(())
    }
}

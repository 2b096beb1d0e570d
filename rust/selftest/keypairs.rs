// SPDX-License-Identifier: GPL-2.0

//! Keypair rotation: initiator and responder paths and key confirmation;
//! and a session's timing rules (rekey, expiry, message limits) with a fake
//! clock: every rule takes the time as an argument.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_keypairs)]
mod tests {
    use crate::keypairs::Keypairs;
    use kernel::prelude::*;
    use kernel::sync::Arc;

    fn kp(n: u32) -> Result<Arc<u32>> {
        Ok(Arc::new(n, GFP_KERNEL)?)
    }

    fn id(slot: Option<&Arc<u32>>) -> u32 {
        slot.map_or(0, |k| **k)
    }

    fn ids(k: &Keypairs<u32>) -> (u32, u32, u32) {
        (id(k.previous()), id(k.current()), id(k.next()))
    }

    #[test]
    fn initiator_rotates_current_to_previous() -> Result {
        let mut k = Keypairs::new();
        let ev = k.add(kp(1)?, true);
        assert!(ev.iter().all(|e| e.is_none()));
        assert_eq!(ids(&k), (0, 1, 0));
        k.add(kp(2)?, true);
        assert_eq!(ids(&k), (1, 2, 0));
        let ev = k.add(kp(3)?, true);
        assert_eq!(ids(&k), (2, 3, 0));
        assert_eq!(id(ev[0].as_ref()), 1);
        Ok(())
    }

    #[test]
    fn responder_waits_for_confirmation() -> Result {
        let mut k = Keypairs::new();
        k.add(kp(1)?, true);
        let r = kp(2)?;
        k.add(r.clone(), false);
        assert_eq!(ids(&k), (0, 1, 2));
        // Data under the current key confirms nothing.
        let cur = kp(9)?;
        assert!(!k.received_with(&cur).0);
        let (confirmed, gone) = k.received_with(&r);
        assert!(confirmed);
        assert!(gone.is_none());
        assert_eq!(ids(&k), (1, 2, 0));
        // Only once.
        assert!(!k.received_with(&r).0);
        Ok(())
    }

    #[test]
    fn responder_replaces_pending_next_and_drops_previous() -> Result {
        let mut k = Keypairs::new();
        k.add(kp(1)?, true);
        k.add(kp(2)?, true);
        k.add(kp(3)?, false);
        assert_eq!(ids(&k), (0, 2, 3));
        let ev = k.add(kp(4)?, false);
        assert_eq!(ids(&k), (0, 2, 4));
        assert_eq!(id(ev[0].as_ref()), 3);
        Ok(())
    }

    #[test]
    fn initiator_demotes_pending_next() -> Result {
        let mut k = Keypairs::new();
        k.add(kp(1)?, true);
        k.add(kp(2)?, true);
        k.add(kp(3)?, false);
        assert_eq!(ids(&k), (0, 2, 3));
        let ev = k.add(kp(4)?, true);
        assert_eq!(ids(&k), (3, 4, 0));
        assert_eq!(id(ev[0].as_ref()), 2);
        let cleared = k.clear();
        assert_eq!(ids(&k), (0, 0, 0));
        assert_eq!(cleared.iter().filter(|c| c.is_some()).count(), 2);
        Ok(())
    }
}

#[kunit_tests(wireguard_rs_session)]
mod session {
    use crate::keypairs::Session;
    use crate::messages::{
        KEEPALIVE_TIMEOUT,
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
    use kernel::prelude::*;

    const S: u64 = 1_000_000_000;
    /// The fake clock's time at the handshake (any time but zero).
    const BIRTH: u64 = 7_000 * S;

    fn session(i_am_the_initiator: bool) -> Result<Pin<KBox<Session>>> {
        let keys = SessionKeys {
            sending: Key::new([1; 32]),
            receiving: Key::new([2; 32]),
            i_am_the_initiator,
            local_index: 11,
            remote_index: 22,
        };
        KBox::pin_init(Session::new(keys, BIRTH), GFP_KERNEL)
    }

    #[test]
    fn sending_stops_at_reject_after_time() -> Result {
        let s = session(true)?;
        assert!(s.can_send(BIRTH));
        assert!(s.can_send(BIRTH + REJECT_AFTER_TIME * S - 1));
        assert!(!s.can_send(BIRTH + REJECT_AFTER_TIME * S));
        assert!(!s.can_send(BIRTH + 3 * REJECT_AFTER_TIME * S));
        Ok(())
    }

    #[test]
    fn receiving_stops_at_reject_after_time_for_good() -> Result {
        let s = session(false)?;
        assert!(s.receiving_key(BIRTH + REJECT_AFTER_TIME * S - 1).is_some());
        assert!(s.receiving_key(BIRTH + REJECT_AFTER_TIME * S).is_none());
        // Once refused, the keypair never receives again, whatever the clock.
        assert!(s.receiving_key(BIRTH).is_none());
        Ok(())
    }

    #[test]
    fn initiator_rekeys_after_rekey_after_time() -> Result {
        let s = session(true)?;
        assert!(!s.needs_rekey_on_send(BIRTH));
        assert!(!s.needs_rekey_on_send(BIRTH + REKEY_AFTER_TIME * S - 1));
        assert!(s.needs_rekey_on_send(BIRTH + REKEY_AFTER_TIME * S));
        // The responder leaves time-based rekeying to the initiator.
        let r = session(false)?;
        assert!(!r.needs_rekey_on_send(BIRTH + (REJECT_AFTER_TIME - 1) * S));
        Ok(())
    }

    #[test]
    fn rekey_after_messages_either_side() -> Result {
        for initiator in [true, false] {
            let s = session(initiator)?;
            s.set_sending_counter(REKEY_AFTER_MESSAGES);
            assert!(!s.needs_rekey_on_send(BIRTH));
            s.set_sending_counter(REKEY_AFTER_MESSAGES + 1);
            assert!(s.needs_rekey_on_send(BIRTH));
        }
        Ok(())
    }

    #[test]
    fn initiator_rekeys_on_receive_before_expiry() -> Result {
        // A last-minute handshake when data arrives on a session about to
        // expire: 180 - 10 - 5 = 165 s.
        let at = (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) * S;
        let s = session(true)?;
        assert!(!s.needs_rekey_on_receive(BIRTH + at - 1));
        assert!(s.needs_rekey_on_receive(BIRTH + at));
        let r = session(false)?;
        assert!(!r.needs_rekey_on_receive(BIRTH + at));
        // The receive path's cheap check comes no later than the rule, on
        // either side: where it is false, the rule is too.
        for k in [&s, &r] {
            assert!(!k.may_need_rekey_on_receive(BIRTH + at - 1));
            assert!(k.may_need_rekey_on_receive(BIRTH + at));
        }
        Ok(())
    }

    #[test]
    fn nonces_stop_at_reject_after_messages() -> Result {
        let s = session(true)?;
        assert_eq!(s.next_nonce(), Some(0));
        assert_eq!(s.next_nonce(), Some(1));
        s.set_sending_counter(REJECT_AFTER_MESSAGES - 1);
        assert_eq!(s.next_nonce(), Some(REJECT_AFTER_MESSAGES - 1));
        assert_eq!(s.next_nonce(), None);
        // The keypair then stops sending, before its time is up.
        assert!(!s.can_send(BIRTH));
        assert_eq!(s.next_nonce(), None);
        Ok(())
    }

    #[test]
    fn invalidated_session_neither_sends_nor_rekeys() -> Result {
        let s = session(true)?;
        s.invalidate_sending();
        assert!(!s.can_send(BIRTH));
        assert!(!s.needs_rekey_on_send(BIRTH + REKEY_AFTER_TIME * S));
        assert!(!s.needs_rekey_on_receive(BIRTH + (REJECT_AFTER_TIME - 1) * S));
        // Receiving is separate: in-flight packets still decrypt.
        assert!(s.receiving_key(BIRTH).is_some());
        Ok(())
    }

    #[test]
    fn exhausted_window_stops_receiving() -> Result {
        let s = session(false)?;
        assert!(s.accept_nonce(5));
        assert!(!s.accept_nonce(5));
        assert!(s.receiving_key(BIRTH).is_some());
        // The last counter allowed fills the window: no key any more.
        assert!(s.accept_nonce(REJECT_AFTER_MESSAGES - 1));
        assert!(s.receiving_key(BIRTH).is_none());
        assert!(!s.accept_nonce(REJECT_AFTER_MESSAGES));
        Ok(())
    }
}

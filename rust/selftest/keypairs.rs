// SPDX-License-Identifier: GPL-2.0

//! Keypair rotation: initiator and responder paths and key confirmation.

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

// SPDX-License-Identifier: GPL-2.0

//! The packet path's reference-counted allocation: counts, sharing, and
//! the value dropped exactly once, with the last reference.

use kernel::prelude::*;

#[kunit_tests(wireguard_rs_shared)]
mod tests {
    use crate::kapi::shared::Shared;
    use kernel::prelude::*;
    use core::sync::atomic::{
        AtomicUsize,
        Ordering::Relaxed, //
    };

    /// Counts its drops in the counter it points to.
    struct Dropped<'a>(&'a AtomicUsize, u32);

    impl Drop for Dropped<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    #[test]
    fn last_reference_drops_the_value_once() -> Result {
        let drops = AtomicUsize::new(0);
        let a = Shared::new(Dropped(&drops, 7))?;
        assert_eq!(Shared::count(&a), 1);
        let b = a.clone();
        assert_eq!(Shared::count(&a), 2);
        assert!(Shared::ptr_eq(&a, &b));
        assert_eq!(b.1, 7);
        drop(a);
        assert_eq!(drops.load(Relaxed), 0);
        assert_eq!(Shared::count(&b), 1);
        drop(b);
        assert_eq!(drops.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn separate_allocations_are_not_equal() -> Result {
        let drops = AtomicUsize::new(0);
        let a = Shared::new(Dropped(&drops, 1))?;
        let b = Shared::new(Dropped(&drops, 1))?;
        assert!(!Shared::ptr_eq(&a, &b));
        drop((a, b));
        assert_eq!(drops.load(Relaxed), 2);
        Ok(())
    }
}

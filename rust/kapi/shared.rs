// SPDX-License-Identifier: GPL-2.0

//! [`Shared`], a reference-counted allocation for the objects the packet
//! path makes and frees for every packet (its jobs).
//!
//! The kernel crate's `Arc` allocates through `krealloc` and counts through
//! `refcount_t` helpers, calls out of the module for each step; here the
//! object comes from `kmalloc` directly and the count is an atomic in it,
//! updated inline. The count saturates instead of wrapping: an object
//! whose count reached the ceiling is never freed (a leak, never a use
//! after free), as `refcount_t` does.

use super::bindings as b;
use core::{
    ops::Deref,
    ptr::NonNull,
    sync::atomic::{
        fence,
        AtomicUsize,
        Ordering::{
            Acquire,
            Relaxed,
            Release, //
        },
    },
};
use kernel::prelude::*;

/// Past this count the object is pinned for good (far beyond any real
/// number of references, far below wrapping).
const SATURATED: usize = usize::MAX / 2;

/// `kmalloc`'s smallest guaranteed alignment on every architecture the
/// kernel supports with Rust.
const KMALLOC_MIN_ALIGN: usize = 8;

struct Inner<T> {
    refs: AtomicUsize,
    value: T,
}

/// A shared, reference-counted `T` (like `Arc<T>`, without weak references
/// or pinning).
///
/// # Invariants
///
/// `ptr` points to an `Inner<T>` from `kmalloc`, initialised, whose `refs`
/// counts the `Shared` values pointing to it (or is saturated); it is
/// dropped and freed only when the last of them goes.
pub(crate) struct Shared<T> {
    ptr: NonNull<Inner<T>>,
}

// SAFETY: like `Arc<T>`: the value is reached from several threads and
// dropped on whichever drops the last reference.
unsafe impl<T: Send + Sync> Send for Shared<T> {}
// SAFETY: as above; `&Shared<T>` gives out only `&T`.
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Moves `value` into a new allocation (`GFP_ATOMIC`: any context).
    pub(crate) fn new(value: T) -> Result<Self> {
        const {
            assert!(core::mem::align_of::<Inner<T>>() <= KMALLOC_MIN_ALIGN);
        }
        let size = core::mem::size_of::<Inner<T>>().max(1);
        // SAFETY: no preconditions; the result is checked for null.
        let p = unsafe { b::wgrs_kmalloc_atomic(size) }.cast::<Inner<T>>();
        let ptr = NonNull::new(p).ok_or(ENOMEM)?;
        // SAFETY: `ptr` is `size` bytes from kmalloc, aligned for
        // `Inner<T>` (checked above), and not initialised yet.
        unsafe {
            ptr.as_ptr().write(Inner {
                refs: AtomicUsize::new(1),
                value,
            })
        };
        // INVARIANT: initialised, one reference (this one).
        Ok(Self { ptr })
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: by the type invariant, live while `self` is.
        unsafe { self.ptr.as_ref() }
    }

    /// Whether `a` and `b` are the same object.
    #[cfg_attr(not(wgrs_kunit_tests), expect(dead_code, reason = "checked by KUnit"))]
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// The number of references (for tests).
    #[cfg(wgrs_kunit_tests)]
    pub(crate) fn count(this: &Self) -> usize {
        this.inner().refs.load(Relaxed)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        // A new reference from an existing one needs no ordering (as for
        // `Arc`); one at the ceiling stays there.
        let old = self.inner().refs.fetch_add(1, Relaxed);
        if old >= SATURATED {
            self.inner().refs.store(SATURATED, Relaxed);
        }
        // INVARIANT: counted above.
        Self { ptr: self.ptr }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        let refs = &self.inner().refs;
        if refs.load(Relaxed) >= SATURATED {
            return;
        }
        // Release: our uses of the value happen before whoever frees it.
        if refs.fetch_sub(1, Release) != 1 {
            return;
        }
        // Acquire: everyone else's uses happen before the free.
        fence(Acquire);
        // SAFETY: this was the last reference (type invariant), so nobody
        // else can reach the object: it is dropped and freed once, here.
        unsafe {
            core::ptr::drop_in_place(self.ptr.as_ptr());
            b::kfree(self.ptr.as_ptr().cast());
        }
    }
}

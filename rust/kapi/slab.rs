// SPDX-License-Identifier: GPL-2.0

//! Dedicated slab caches (`kmem_cache`) for objects freed after an RCU
//! grace period.

use super::bindings as b;
use core::{
    ffi::CStr,
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::prelude::*;

/// A slab cache holding objects of type `T`.
///
/// # Invariants
///
/// `cache` was created for `size_of::<T>()`-byte objects aligned for `T`,
/// and is destroyed only when this value is dropped, after every object
/// queued with [`KmemCache::free_after_rcu`] has been freed.
pub(crate) struct KmemCache<T> {
    cache: NonNull<b::kmem_cache>,
    _t: PhantomData<T>,
}

// SAFETY: slab caches may be used from any thread.
unsafe impl<T> Send for KmemCache<T> {}
// SAFETY: the slab allocator does its own locking.
unsafe impl<T> Sync for KmemCache<T> {}

impl<T> KmemCache<T> {
    /// Creates the cache `name` (visible in `/proc/slabinfo`).
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<T>()).map_err(|_| EINVAL)?;
        let align = u32::try_from(core::mem::align_of::<T>()).map_err(|_| EINVAL)?;
        // SAFETY: `name` is a static NUL-terminated string, as the slab
        // allocator requires (it keeps the pointer).
        let cache = unsafe { b::wgrs_kmem_cache_create(name.as_char_ptr(), size, align) };
        // INVARIANT: created for T's size and alignment.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
            _t: PhantomData,
        })
    }

    /// Allocates an object and moves `value` into it.
    pub(crate) fn alloc(&self, value: T) -> Result<NonNull<T>> {
        // SAFETY: the cache is valid; GFP_KERNEL callers are in process context.
        let p = unsafe { b::wgrs_kmem_cache_alloc(self.cache.as_ptr(), b::WGRS_GFP_KERNEL) };
        let p = NonNull::new(p.cast::<T>()).ok_or(ENOMEM)?;
        // SAFETY: the object is `size_of::<T>()` bytes, aligned for `T`, and
        // uninitialised; writing initialises it.
        unsafe { p.as_ptr().write(value) };
        Ok(p)
    }

    /// Frees an object that was never published to RCU readers.
    ///
    /// # Safety
    ///
    /// `p` came from [`KmemCache::alloc`] on this cache, no reader can see
    /// it, and it is not used afterwards. `T` must need no drop.
    pub(crate) unsafe fn free_now(&self, p: NonNull<T>) {
        // SAFETY: by the caller's promise the object is ours to free.
        unsafe { b::kmem_cache_free(self.cache.as_ptr(), p.as_ptr().cast()) };
    }

    /// Frees an object once every RCU reader that might see it is done.
    ///
    /// # Safety
    ///
    /// `p` came from [`KmemCache::alloc`] on this cache, it is unreachable
    /// for new readers, `head` lies inside it and is not used for anything
    /// else from now on. `T` must need no drop.
    pub(crate) unsafe fn free_after_rcu(&self, p: NonNull<T>, head: *mut b::kvfree_rcu_head) {
        // SAFETY: by the caller's promise; kvfree works on any slab object.
        unsafe { b::wgrs_kvfree_rcu(head, p.as_ptr().cast()) };
    }

    /// Bytes the slab allocator uses per object.
    #[cfg(wgrs_kunit_bench)]
    pub(crate) fn object_size(&self) -> usize {
        // SAFETY: the cache is valid.
        unsafe { b::kmem_cache_size(self.cache.as_ptr()) as usize }
    }
}

impl<T> Drop for KmemCache<T> {
    fn drop(&mut self) {
        // `kmem_cache_destroy` first waits for objects of this cache still
        // queued with `free_after_rcu` (`kvfree_rcu_barrier_on_cache`).
        // SAFETY: the cache is ours and no object of it is live any more
        // (every owner freed its objects before dropping the cache).
        unsafe { b::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}

/// Bytes of RAM the machine has (for sizing tables as the C driver does).
pub(crate) fn total_ram_bytes() -> u64 {
    // SAFETY: no preconditions.
    unsafe { b::wgrs_totalram_bytes() }
}

// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`).

use super::bindings as b;
use core::ptr::NonNull;

/// An owned socket buffer.
///
/// # Invariants
///
/// `0` points to a valid `sk_buff` that this value owns: nobody else frees it,
/// and dropping the value frees it.
pub(crate) struct SkBuff(NonNull<b::sk_buff>);

impl SkBuff {
    /// Takes ownership of `skb`.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `sk_buff` whose ownership the caller hands over.
    pub(crate) unsafe fn from_raw(skb: NonNull<b::sk_buff>) -> Self {
        // INVARIANT: the caller hands over a valid, owned skb.
        Self(skb)
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: we own the skb by the type invariant and nobody uses it after.
        unsafe { b::wgrs_kfree_skb(self.0.as_ptr()) };
    }
}

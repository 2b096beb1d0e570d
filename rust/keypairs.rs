// SPDX-License-Identifier: GPL-2.0

//! A peer's three keypair slots and how sessions move through them (the C
//! driver's `add_new_keypair` and `wg_noise_received_with_keypair`):
//!
//! - `current` is what we send with;
//! - `next` is a session we responded to, usable only once the initiator
//!   proves it has the keys by sending data with them (key confirmation);
//! - `previous` keeps the last session so in-flight packets still decrypt.
//!
//! The rotation is generic over the keypair type so it can be tested on its
//! own. Keypairs pushed out of every slot are returned to the caller, which
//! removes their receiver index from the index table.

use kernel::sync::Arc;

/// Keypairs that left all slots.
pub(crate) type Evicted<K> = [Option<Arc<K>>; 2];

/// The previous, current and next keypair of a peer. Callers serialise
/// changes (C: `keypair_update_lock`).
pub(crate) struct Keypairs<K> {
    previous: Option<Arc<K>>,
    current: Option<Arc<K>>,
    next: Option<Arc<K>>,
}

fn same<K>(a: &Option<Arc<K>>, b: &Arc<K>) -> bool {
    a.as_ref().is_some_and(|a| Arc::ptr_eq(a, b))
}

impl<K> Keypairs<K> {
    /// No keypairs.
    pub(crate) const fn new() -> Self {
        Self {
            previous: None,
            current: None,
            next: None,
        }
    }

    /// The keypair we send with.
    pub(crate) fn current(&self) -> Option<&Arc<K>> {
        self.current.as_ref()
    }

    /// The previous keypair.
    pub(crate) fn previous(&self) -> Option<&Arc<K>> {
        self.previous.as_ref()
    }

    /// The keypair awaiting confirmation.
    pub(crate) fn next(&self) -> Option<&Arc<K>> {
        self.next.as_ref()
    }

    /// Installs the keypair of a completed handshake. As initiator the peer
    /// has already confirmed it (it answered us), so it becomes current; as
    /// responder it waits in `next` for the initiator's first data packet.
    pub(crate) fn add(&mut self, new: Arc<K>, i_am_the_initiator: bool) -> Evicted<K> {
        if i_am_the_initiator {
            let evicted = if let Some(next) = self.next.take() {
                // A pending next keypair is demoted to previous; the old
                // current and the old previous go.
                [self.current.take(), self.previous.replace(next)]
            } else {
                let current = self.current.take();
                [core::mem::replace(&mut self.previous, current), None]
            };
            self.current = Some(new);
            evicted
        } else {
            let old_next = self.next.replace(new);
            let old_previous = self.previous.take();
            [old_next, old_previous]
        }
    }

    /// Notes that data arrived under `received`. If that is the keypair
    /// awaiting confirmation, it becomes current (and current previous);
    /// returns whether that happened, and the keypair that left.
    pub(crate) fn received_with(&mut self, received: &Arc<K>) -> (bool, Option<Arc<K>>) {
        if !same(&self.next, received) {
            return (false, None);
        }
        let next = self.next.take();
        let cur = core::mem::replace(&mut self.current, next);
        let old_previous = core::mem::replace(&mut self.previous, cur);
        (true, old_previous)
    }

    /// Empties all slots, returning what was in them.
    pub(crate) fn clear(&mut self) -> [Option<Arc<K>>; 3] {
        [self.previous.take(), self.current.take(), self.next.take()]
    }
}

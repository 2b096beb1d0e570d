// SPDX-License-Identifier: GPL-2.0

//! The replay counter of a receiving key (the C driver's `counter_validate`
//! in `receive.c`): a sliding window of `COUNTER_WINDOW_SIZE` message
//! counters, kept as a ring of 64-bit words, which accepts every counter at
//! most once and rejects counters older than the window or at or past
//! `REJECT_AFTER_MESSAGES`.

use crate::messages::{
    COUNTER_BITS_TOTAL,
    COUNTER_WINDOW_SIZE,
    REJECT_AFTER_MESSAGES, //
};

const WORD_BITS: u64 = 64;
const WORDS: usize = (COUNTER_BITS_TOTAL / WORD_BITS) as usize;

/// A replay window. Callers serialise access (it is `&mut self`).
pub(crate) struct ReplayCounter {
    /// One past the highest counter accepted so far (0: none yet).
    counter: u64,
    backtrack: [u64; WORDS],
}

impl ReplayCounter {
    /// An empty window.
    pub(crate) const fn new() -> Self {
        Self {
            counter: 0,
            backtrack: [0; WORDS],
        }
    }

    /// Whether the window reached `REJECT_AFTER_MESSAGES`: the key may not
    /// receive any more.
    pub(crate) fn exhausted(&self) -> bool {
        self.counter >= REJECT_AFTER_MESSAGES
    }

    /// Accepts `their_counter` if it was not seen before, is inside the
    /// window and below `REJECT_AFTER_MESSAGES`; records it if accepted.
    pub(crate) fn validate(&mut self, their_counter: u64) -> bool {
        if self.counter > REJECT_AFTER_MESSAGES || their_counter >= REJECT_AFTER_MESSAGES {
            return false;
        }
        // Work one-based, so that `self.counter == 0` means "nothing yet".
        let n = their_counter + 1;
        if COUNTER_WINDOW_SIZE + n < self.counter {
            return false;
        }
        let word = n / WORD_BITS;
        if n > self.counter {
            // Slide the window: clear the words between the old top and the new.
            let current = self.counter / WORD_BITS;
            let to_clear = (word - current).min(WORDS as u64);
            for i in 1..=to_clear {
                self.backtrack[((current + i) as usize) & (WORDS - 1)] = 0;
            }
            self.counter = n;
        }
        let slot = &mut self.backtrack[(word as usize) & (WORDS - 1)];
        let bit = 1u64 << (n % WORD_BITS);
        let fresh = *slot & bit == 0;
        *slot |= bit;
        fresh
    }
}

// SPDX-License-Identifier: GPL-2.0

//! WireGuard message formats and protocol constants (the C driver's
//! `messages.h`). Only the sizes the device needs today live here yet.

/// Every message is padded to a multiple of this many bytes.
pub(crate) const MESSAGE_PADDING_MULTIPLE: u32 = 16;

/// The shortest valid message: a data header (16 bytes) and an empty,
/// authenticated payload (16-byte Poly1305 tag).
pub(crate) const MESSAGE_MINIMUM_LENGTH: u32 = 16 + 16;

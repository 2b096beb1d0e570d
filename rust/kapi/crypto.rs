// SPDX-License-Identifier: GPL-2.0

//! The kernel's crypto library (`lib/crypto`): Curve25519,
//! (X)ChaCha20-Poly1305, BLAKE2s, SipHash, randomness, constant-time
//! comparison and secure zeroing. No primitive is implemented here; these
//! are thin, length-checked wrappers.

use super::bindings as b;
use core::mem::MaybeUninit;

/// Bytes in a Curve25519 key, a ChaCha20-Poly1305 key and a BLAKE2s hash.
pub(crate) const KEY_LEN: usize = 32;
/// Bytes of a Poly1305 authentication tag.
pub(crate) const AUTHTAG_LEN: usize = 16;
/// Bytes of an XChaCha20-Poly1305 nonce.
pub(crate) const XNONCE_LEN: usize = 24;
/// Bytes in a BLAKE2s block.
pub(crate) const BLAKE2S_BLOCK_LEN: usize = 64;
/// BLAKE2s's initialisation vector (RFC 7693, section 2.6).
const BLAKE2S_IV: [u32; 8] = [
    0x6A09_E667,
    0xBB67_AE85,
    0x3C6E_F372,
    0xA54F_F53A,
    0x510E_527F,
    0x9B05_688C,
    0x1F83_D9AB,
    0x5BE0_CD19,
];

/// Computes `out = secret * point` on Curve25519. Returns `false` when the
/// result is all zeros (a low-order point), which callers must reject.
#[must_use]
pub(crate) fn curve25519(
    out: &mut [u8; KEY_LEN],
    secret: &[u8; KEY_LEN],
    point: &[u8; KEY_LEN],
) -> bool {
    // SAFETY: all three buffers are 32 bytes, as the function requires.
    unsafe { b::curve25519(out.as_mut_ptr(), secret.as_ptr(), point.as_ptr()) }
}

/// Computes the public key of `secret`. Returns `false` for an unusable key.
#[must_use]
pub(crate) fn curve25519_generate_public(out: &mut [u8; KEY_LEN], secret: &[u8; KEY_LEN]) -> bool {
    // SAFETY: both buffers are 32 bytes.
    unsafe { b::curve25519_generate_public(out.as_mut_ptr(), secret.as_ptr()) }
}

/// ChaCha20-Poly1305 encryption: `dst` receives `src` encrypted followed by
/// the tag, so it must be exactly `src.len() + AUTHTAG_LEN` bytes; otherwise
/// nothing is written and `false` is returned.
#[must_use]
pub(crate) fn chacha20poly1305_seal(
    dst: &mut [u8],
    src: &[u8],
    ad: &[u8],
    nonce: u64,
    key: &[u8; KEY_LEN],
) -> bool {
    if dst.len() != src.len() + AUTHTAG_LEN {
        return false;
    }
    // SAFETY: `dst` has room for the ciphertext and tag (checked above), the
    // other buffers are valid for their lengths.
    unsafe {
        b::chacha20poly1305_encrypt(
            dst.as_mut_ptr(),
            src.as_ptr(),
            src.len(),
            ad.as_ptr(),
            ad.len(),
            nonce,
            key.as_ptr(),
        )
    };
    true
}

/// ChaCha20-Poly1305 encryption in place: the first `buf.len() - 16` bytes
/// are encrypted where they are and the tag is written into the last 16.
/// Returns `false` (writing nothing) if `buf` is shorter than a tag.
#[must_use]
#[cfg_attr(
    not(wgrs_kunit_bench),
    expect(dead_code, reason = "only the cipher benchmark encrypts flat buffers")
)]
pub(crate) fn chacha20poly1305_seal_in_place(
    buf: &mut [u8],
    ad: &[u8],
    nonce: u64,
    key: &[u8; KEY_LEN],
) -> bool {
    let Some(len) = buf.len().checked_sub(AUTHTAG_LEN) else {
        return false;
    };
    let p = buf.as_mut_ptr();
    // SAFETY: `p` is valid for `len + 16` bytes; the library encrypts in one
    // forward pass (source and destination may be the same buffer), then
    // writes the tag at `p + len`, still inside `buf`.
    unsafe {
        b::chacha20poly1305_encrypt(p, p, len, ad.as_ptr(), ad.len(), nonce, key.as_ptr())
    };
    true
}

/// ChaCha20-Poly1305 decryption of `src` (ciphertext and tag) into `dst`,
/// which must be `src.len() - AUTHTAG_LEN` bytes. Returns `false` if the
/// lengths are wrong or authentication fails (then `dst` is unspecified).
#[must_use]
pub(crate) fn chacha20poly1305_open(
    dst: &mut [u8],
    src: &[u8],
    ad: &[u8],
    nonce: u64,
    key: &[u8; KEY_LEN],
) -> bool {
    if src.len() < AUTHTAG_LEN || dst.len() != src.len() - AUTHTAG_LEN {
        return false;
    }
    // SAFETY: lengths checked above; the library writes `src.len() - 16`
    // bytes to `dst` and reads the given lengths from the others.
    unsafe {
        b::chacha20poly1305_decrypt(
            dst.as_mut_ptr(),
            src.as_ptr(),
            src.len(),
            ad.as_ptr(),
            ad.len(),
            nonce,
            key.as_ptr(),
        )
    }
}

/// XChaCha20-Poly1305 encryption; lengths as for [`chacha20poly1305_seal`].
#[must_use]
pub(crate) fn xchacha20poly1305_seal(
    dst: &mut [u8],
    src: &[u8],
    ad: &[u8],
    nonce: &[u8; XNONCE_LEN],
    key: &[u8; KEY_LEN],
) -> bool {
    if dst.len() != src.len() + AUTHTAG_LEN {
        return false;
    }
    // SAFETY: lengths checked above; all buffers valid for their lengths.
    unsafe {
        b::xchacha20poly1305_encrypt(
            dst.as_mut_ptr(),
            src.as_ptr(),
            src.len(),
            ad.as_ptr(),
            ad.len(),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    true
}

/// XChaCha20-Poly1305 decryption; lengths as for [`chacha20poly1305_open`].
#[must_use]
pub(crate) fn xchacha20poly1305_open(
    dst: &mut [u8],
    src: &[u8],
    ad: &[u8],
    nonce: &[u8; XNONCE_LEN],
    key: &[u8; KEY_LEN],
) -> bool {
    if src.len() < AUTHTAG_LEN || dst.len() != src.len() - AUTHTAG_LEN {
        return false;
    }
    // SAFETY: lengths checked above; all buffers valid for their lengths.
    unsafe {
        b::xchacha20poly1305_decrypt(
            dst.as_mut_ptr(),
            src.as_ptr(),
            src.len(),
            ad.as_ptr(),
            ad.len(),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    }
}

/// Initialises `ctx` for unkeyed BLAKE2s with an `outlen`-byte digest
/// (clamped to 1..=32): the library's `blake2s_init`, an inline function in
/// C, done here so that each of a handshake's many hashes does not pay a
/// call for it. The block buffer is left unwritten (unused while `buflen`
/// is 0).
#[inline]
fn blake2s_init(ctx: &mut MaybeUninit<b::blake2s_ctx>, outlen: usize) {
    let outlen = outlen.clamp(1, KEY_LEN);
    let p = ctx.as_mut_ptr();
    let mut h = BLAKE2S_IV;
    // The parameter block's first word: digest length, no key, fanout and
    // depth 1.
    h[0] ^= 0x0101_0000 | outlen as u32;
    // SAFETY: `p` points to room for a context; each field written is in
    // it (no reference to the uninitialised whole is made).
    unsafe {
        core::ptr::addr_of_mut!((*p).h).write(h);
        core::ptr::addr_of_mut!((*p).t).write([0; 2]);
        core::ptr::addr_of_mut!((*p).f).write([0; 2]);
        core::ptr::addr_of_mut!((*p).buflen).write(0);
        core::ptr::addr_of_mut!((*p).outlen).write(outlen as u32);
    }
}

/// BLAKE2s-256 of the concatenation of `first` and `rest`, in one go: no
/// context escapes, and the library's final step zeroes it.
#[inline]
pub(crate) fn blake2s_256(out: &mut [u8; KEY_LEN], first: &[u8], rest: &[&[u8]]) {
    let mut ctx = MaybeUninit::<b::blake2s_ctx>::uninit();
    blake2s_init(&mut ctx, KEY_LEN);
    for data in core::iter::once(&first).chain(rest) {
        // SAFETY: `ctx` was initialised above; `data` is valid for its
        // length.
        unsafe { b::blake2s_update(ctx.as_mut_ptr(), data.as_ptr(), data.len()) };
    }
    // SAFETY: `ctx` is initialised; `out` has room for the 32-byte digest.
    unsafe { b::blake2s_final(ctx.as_mut_ptr(), out.as_mut_ptr()) };
}

/// An incremental BLAKE2s computation. Its state is zeroed when dropped
/// (by the library's final step, or else by `Drop`).
///
/// # Invariants
///
/// The context was initialised by `blake2s_init` or `blake2s_init_key`
/// (which leave the unused part of its block buffer unwritten, so it is
/// only ever reached through a pointer, by the library).
pub(crate) struct Blake2s(MaybeUninit<b::blake2s_ctx>);

impl Blake2s {
    /// Unkeyed BLAKE2s with an `outlen`-byte digest (1..=32).
    #[inline]
    pub(crate) fn new(outlen: usize) -> Self {
        let mut ctx = MaybeUninit::<b::blake2s_ctx>::uninit();
        blake2s_init(&mut ctx, outlen);
        // INVARIANT: initialised above.
        Blake2s(ctx)
    }

    /// Keyed BLAKE2s (`key` at most 32 bytes) with an `outlen`-byte digest.
    pub(crate) fn new_keyed(outlen: usize, key: &[u8]) -> Self {
        let mut ctx = MaybeUninit::<b::blake2s_ctx>::uninit();
        let key = &key[..key.len().min(KEY_LEN)];
        // SAFETY: room for a context, key length at most 32, outlen in 1..=32.
        unsafe {
            b::wgrs_blake2s_init_key(
                ctx.as_mut_ptr(),
                outlen.clamp(1, KEY_LEN),
                key.as_ptr().cast(),
                key.len(),
            )
        };
        // INVARIANT: initialised above.
        Blake2s(ctx)
    }

    /// Feeds `data`.
    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) -> &mut Self {
        // SAFETY: `data` is valid for its length; the context is initialised
        // (the type invariant).
        unsafe { b::blake2s_update(self.0.as_mut_ptr(), data.as_ptr(), data.len()) };
        self
    }

    /// Writes the digest into `out`, which must hold the `outlen` given at
    /// creation (the callers pass arrays of exactly that size).
    #[inline]
    pub(crate) fn finalize_into(mut self, out: &mut [u8]) {
        if out.len() == KEY_LEN {
            // SAFETY: the context is initialised; `out` has room for the
            // largest digest.
            unsafe { b::blake2s_final(self.0.as_mut_ptr(), out.as_mut_ptr()) };
        } else {
            let mut full = [0u8; KEY_LEN];
            // SAFETY: as above, into `full`.
            unsafe { b::blake2s_final(self.0.as_mut_ptr(), full.as_mut_ptr()) };
            let n = out.len().min(KEY_LEN);
            out[..n].copy_from_slice(&full[..n]);
            memzero(&mut full);
        }
        // `blake2s_final` zeroed the context: no second pass in `Drop`.
        core::mem::forget(self);
    }
}

impl Drop for Blake2s {
    fn drop(&mut self) {
        // SAFETY: the context is ours; any bytes may be written to it.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                self.0.as_mut_ptr().cast::<u8>(),
                core::mem::size_of::<b::blake2s_ctx>(),
            )
        };
        memzero(bytes);
    }
}

/// Zeroes `buf` in a way the compiler may not optimise out (the kernel's
/// `memzero_explicit`, inline here: the stores of a fixed-size buffer need
/// no call to `memset`).
#[inline]
pub(crate) fn memzero(buf: &mut [u8]) {
    buf.fill(0);
    // SAFETY: an empty assembly block. It is given the buffer's address and
    // may read memory (no `nomem`), so the compiler must complete the stores
    // above before it, as the kernel's `barrier_data` makes it.
    unsafe {
        core::arch::asm!(
            "/* {0} */",
            in(reg) buf.as_ptr(),
            options(nostack, preserves_flags, readonly)
        )
    };
}

/// Compares two byte strings in time independent of their contents (the
/// lengths are not secret). Returns `true` when equal.
pub(crate) fn constant_time_eq(a: &[u8], b_: &[u8]) -> bool {
    if a.len() != b_.len() {
        return false;
    }
    // SAFETY: both buffers are valid for `a.len()` bytes.
    unsafe { b::wgrs_crypto_memneq(a.as_ptr().cast(), b_.as_ptr().cast(), a.len()) == 0 }
}

/// Fills `buf` from the kernel's CSPRNG.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { b::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}

/// A random 32-bit number from the kernel's CSPRNG.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: no preconditions.
    unsafe { b::get_random_u32() }
}

/// A key for HalfSipHash, the kernel's fast keyed hash for hash tables.
pub(crate) struct HsipKey(b::hsiphash_key_t);

impl HsipKey {
    /// A fresh random key.
    pub(crate) fn random() -> Self {
        let mut key: b::hsiphash_key_t = pin_init::zeroed();
        // SAFETY: the key is plain words; we fill all of its bytes.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                core::ptr::from_mut(&mut key).cast::<u8>(),
                core::mem::size_of::<b::hsiphash_key_t>(),
            )
        };
        random_bytes(bytes);
        Self(key)
    }

    /// HalfSipHash of two words.
    pub(crate) fn hash2(&self, a: u32, b_: u32) -> u32 {
        // SAFETY: the key is valid.
        unsafe { b::hsiphash_2u32(a, b_, &self.0) }
    }

    /// HalfSipHash of three words.
    pub(crate) fn hash3(&self, a: u32, b_: u32, c: u32) -> u32 {
        // SAFETY: the key is valid.
        unsafe { b::hsiphash_3u32(a, b_, c, &self.0) }
    }
}

/// A key for SipHash-2-4, for hash tables keyed by attacker-chosen data.
pub(crate) struct SipKey(b::siphash_key_t);

impl SipKey {
    /// A fresh random key.
    pub(crate) fn random() -> Self {
        let mut k = [0u8; 16];
        random_bytes(&mut k);
        let mut key: b::siphash_key_t = pin_init::zeroed();
        key.key[0] = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]]);
        key.key[1] = u64::from_ne_bytes([k[8], k[9], k[10], k[11], k[12], k[13], k[14], k[15]]);
        memzero(&mut k);
        Self(key)
    }

    /// SipHash of 32 bytes.
    pub(crate) fn hash32(&self, data: &[u8; 32]) -> u64 {
        let w = |i: usize| {
            u64::from_le_bytes([
                data[i],
                data[i + 1],
                data[i + 2],
                data[i + 3],
                data[i + 4],
                data[i + 5],
                data[i + 6],
                data[i + 7],
            ])
        };
        // SAFETY: the key is valid.
        unsafe { b::siphash_4u64(w(0), w(8), w(16), w(24), &self.0) }
    }
}

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Independent known-answer-test generator for the WireGuard handshake
# (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, plus the mac1/mac2/cookie layer).
#
# Written from the protocol description in the WireGuard paper; it shares no
# code with the Rust implementation it is meant to test. Everything is
# deterministic: all "random" inputs are fixed byte strings derived below.
#
# Usage: /usr/bin/python3 selftests/vectors/gen_noise_vectors.py [OUTPUT.rs]
# Default output: ../../rust/selftest/noise_vectors.rs relative to this file.
#
# Needs the Python `cryptography` package (Debian: python3-cryptography) for
# X25519 and ChaCha20-Poly1305; BLAKE2s comes from hashlib.

import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.exceptions import InvalidTag

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"

MSG_INITIATION = 1
MSG_RESPONSE = 2
MSG_COOKIE_REPLY = 3

INITIATION_LEN = 148
RESPONSE_LEN = 92
COOKIE_REPLY_LEN = 64

# --------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------


def HASH(data):
    return hashlib.blake2s(data, digest_size=32).digest()


def MAC(key, data):
    # Keyed BLAKE2s with a 16-byte output.
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def HMAC(key, data):
    # HMAC over BLAKE2s-256 (block size 64), per RFC 2104.
    return hmac.new(key, data, lambda: hashlib.blake2s(digest_size=32)).digest()


def _hmac_blake2s_manual(key, data):
    # Second, hand-written HMAC used only to cross-check the hmac module.
    block = 64
    if len(key) > block:
        key = HASH(key)
    key = key.ljust(block, b"\x00")
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    return HASH(opad + HASH(ipad + data))


def KDF(n, key, data):
    t0 = HMAC(key, data)
    out = []
    prev = b""
    for i in range(1, n + 1):
        prev = HMAC(t0, prev + bytes([i]))
        out.append(prev)
    return out


def KDF1(key, data):
    return KDF(1, key, data)[0]


def KDF2(key, data):
    return tuple(KDF(2, key, data))


def KDF3(key, data):
    return tuple(KDF(3, key, data))


def pubkey(private):
    # cryptography's X25519 clamps the scalar internally, as X25519 does.
    return (
        X25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def DH(private, public):
    return X25519PrivateKey.from_private_bytes(private).exchange(
        X25519PublicKey.from_public_bytes(public)
    )


def clamp(private):
    b = bytearray(private)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return bytes(b)


def aead_nonce(counter):
    # 32 zero bits followed by a 64-bit little-endian counter.
    return b"\x00" * 4 + struct.pack("<Q", counter)


def AEAD(key, counter, plaintext, ad):
    return ChaCha20Poly1305(key).encrypt(aead_nonce(counter), plaintext, ad)


def AEAD_open(key, counter, ciphertext, ad):
    return ChaCha20Poly1305(key).decrypt(aead_nonce(counter), ciphertext, ad)


def _rotl32(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _quarter_round(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF
    s[d] = _rotl32(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF
    s[b] = _rotl32(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF
    s[d] = _rotl32(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF
    s[b] = _rotl32(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    assert len(key) == 32 and len(nonce16) == 16
    s = list(struct.unpack("<4I", b"expand 32-byte k"))
    s += list(struct.unpack("<8I", key))
    s += list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        _quarter_round(s, 0, 4, 8, 12)
        _quarter_round(s, 1, 5, 9, 13)
        _quarter_round(s, 2, 6, 10, 14)
        _quarter_round(s, 3, 7, 11, 15)
        _quarter_round(s, 0, 5, 10, 15)
        _quarter_round(s, 1, 6, 11, 12)
        _quarter_round(s, 2, 7, 8, 13)
        _quarter_round(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def XAEAD(key, nonce24, plaintext, ad):
    assert len(nonce24) == 24
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(
        b"\x00" * 4 + nonce24[16:], plaintext, ad
    )


def XAEAD_open(key, nonce24, ciphertext, ad):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).decrypt(
        b"\x00" * 4 + nonce24[16:], ciphertext, ad
    )


# --------------------------------------------------------------------------
# Self-checks of the primitives
# --------------------------------------------------------------------------


def self_check_primitives():
    # HChaCha20: draft-irtf-cfrg-xchacha section 2.2.1.
    out = hchacha20(
        bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")
    )
    assert out == bytes.fromhex(
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    ), out.hex()

    # XChaCha20-Poly1305: draft-irtf-cfrg-xchacha appendix A.3.1.
    pt = (
        b"Ladies and Gentlemen of the class of '99: If I could offer you "
        b"only one tip for the future, sunscreen would be it."
    )
    ad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    key = bytes(range(0x80, 0xA0))
    nonce = bytes(range(0x40, 0x58))
    ct = XAEAD(key, nonce, pt, ad)
    assert ct[-16:] == bytes.fromhex("c0875924c1c7987947deafd8780acf49"), ct[
        -16:
    ].hex()
    assert ct[:16] == bytes.fromhex("bd6d179d3e83d43b9576579493c0e939"), ct[
        :16
    ].hex()
    assert XAEAD_open(key, nonce, ct, ad) == pt

    # X25519: RFC 7748 section 6.1.
    a = bytes.fromhex(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    )
    b = bytes.fromhex(
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
    )
    assert pubkey(a) == bytes.fromhex(
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    )
    assert DH(a, pubkey(b)) == bytes.fromhex(
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    )
    # Clamping is implicit in X25519.
    assert pubkey(a) == pubkey(clamp(a))

    # BLAKE2s-256 of "abc" (RFC 7693 appendix B).
    assert HASH(b"abc") == bytes.fromhex(
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
    )

    # hmac module vs. hand-written HMAC-BLAKE2s.
    for k, m in ((b"k" * 32, b"msg"), (b"\x01" * 32, b""), (bytes(32), b"x" * 100)):
        assert HMAC(k, m) == _hmac_blake2s_manual(k, m)

    # ChaCha20-Poly1305: RFC 8439 section 2.8.2 (checks the library and the
    # nonce handling, whose first 4 bytes are nonzero there).
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    ct = ChaCha20Poly1305(key).encrypt(nonce, pt, ad)
    assert ct[-16:] == bytes.fromhex("1ae10b594f09e26a7e902ecbd0600691")


# --------------------------------------------------------------------------
# Handshake
# --------------------------------------------------------------------------


def initial_chain_and_hash(responder_static_public):
    c = HASH(CONSTRUCTION)
    h = HASH(c + IDENTIFIER)
    h = HASH(h + responder_static_public)
    return c, h


def mac1_key(static_public):
    return HASH(LABEL_MAC1 + static_public)


def cookie_key(static_public):
    return HASH(LABEL_COOKIE + static_public)


def create_initiation(v):
    """Initiator side. Returns (message with zero mac2, chaining key, hash)."""
    s_i_pub = pubkey(v["initiator_static_private"])
    s_r_pub = pubkey(v["responder_static_private"])
    e_i_priv = v["initiator_ephemeral_private"]
    e_i_pub = pubkey(e_i_priv)

    c, h = initial_chain_and_hash(s_r_pub)
    c = KDF1(c, e_i_pub)
    h = HASH(h + e_i_pub)
    c, k = KDF2(c, DH(e_i_priv, s_r_pub))
    enc_static = AEAD(k, 0, s_i_pub, h)
    h = HASH(h + enc_static)
    c, k = KDF2(c, DH(v["initiator_static_private"], s_r_pub))
    enc_ts = AEAD(k, 0, v["timestamp"], h)
    h = HASH(h + enc_ts)

    msg = struct.pack("<I", MSG_INITIATION)  # type 1 + 3 reserved zero bytes
    msg += struct.pack("<I", v["initiator_index"])
    msg += e_i_pub + enc_static + enc_ts
    assert len(msg) == 116
    msg += MAC(mac1_key(s_r_pub), msg)
    msg += bytes(16)  # mac2: no cookie
    assert len(msg) == INITIATION_LEN
    return msg, c, h


def consume_initiation(msg, responder_static_private, known_peers):
    """Responder side. known_peers: set of initiator static public keys.

    Returns (initiator static public, timestamp, sender index, c, h)."""
    assert len(msg) == INITIATION_LEN
    assert msg[0:4] == b"\x01\x00\x00\x00"
    s_r_pub = pubkey(responder_static_private)
    assert msg[116:132] == MAC(mac1_key(s_r_pub), msg[:116]), "mac1"
    (sender,) = struct.unpack("<I", msg[4:8])
    e_i_pub = msg[8:40]
    enc_static = msg[40:88]
    enc_ts = msg[88:116]

    c, h = initial_chain_and_hash(s_r_pub)
    c = KDF1(c, e_i_pub)
    h = HASH(h + e_i_pub)
    c, k = KDF2(c, DH(responder_static_private, e_i_pub))
    s_i_pub = AEAD_open(k, 0, enc_static, h)
    h = HASH(h + enc_static)
    assert s_i_pub in known_peers, "unknown initiator static key"
    c, k = KDF2(c, DH(responder_static_private, s_i_pub))
    ts = AEAD_open(k, 0, enc_ts, h)
    h = HASH(h + enc_ts)
    return s_i_pub, ts, sender, c, h


def create_response(v, s_i_pub, e_i_pub, c, h):
    """Responder side, after consume_initiation. Returns (msg, c, h)."""
    e_r_priv = v["responder_ephemeral_private"]
    e_r_pub = pubkey(e_r_priv)
    c = KDF1(c, e_r_pub)
    h = HASH(h + e_r_pub)
    c = KDF1(c, DH(e_r_priv, e_i_pub))
    c = KDF1(c, DH(e_r_priv, s_i_pub))
    c, tau, k = KDF3(c, v["preshared_key"])
    h = HASH(h + tau)
    enc_empty = AEAD(k, 0, b"", h)
    h = HASH(h + enc_empty)

    msg = struct.pack("<I", MSG_RESPONSE)
    msg += struct.pack("<I", v["responder_index"])
    msg += struct.pack("<I", v["initiator_index"])
    msg += e_r_pub + enc_empty
    assert len(msg) == 60
    msg += MAC(mac1_key(s_i_pub), msg)
    msg += bytes(16)
    assert len(msg) == RESPONSE_LEN
    return msg, c, h


def consume_response(v, msg, c, h):
    """Initiator side. c, h: state after create_initiation. Returns (c, h)."""
    assert len(msg) == RESPONSE_LEN
    assert msg[0:4] == b"\x02\x00\x00\x00"
    s_i_priv = v["initiator_static_private"]
    s_i_pub = pubkey(s_i_priv)
    assert msg[60:76] == MAC(mac1_key(s_i_pub), msg[:60]), "mac1"
    sender, receiver = struct.unpack("<II", msg[4:12])
    assert receiver == v["initiator_index"]
    assert sender == v["responder_index"]
    e_r_pub = msg[12:44]
    enc_empty = msg[44:60]
    c = KDF1(c, e_r_pub)
    h = HASH(h + e_r_pub)
    c = KDF1(c, DH(v["initiator_ephemeral_private"], e_r_pub))
    c = KDF1(c, DH(s_i_priv, e_r_pub))
    c, tau, k = KDF3(c, v["preshared_key"])
    h = HASH(h + tau)
    assert AEAD_open(k, 0, enc_empty, h) == b""
    h = HASH(h + enc_empty)
    return c, h


def make_cookie(secret, address, port):
    assert len(address) in (4, 16)
    return MAC(secret, address + struct.pack(">H", port))


def create_cookie_reply(v, initiation, cookie):
    s_r_pub = pubkey(v["responder_static_private"])
    mac1 = initiation[116:132]
    enc = XAEAD(cookie_key(s_r_pub), v["cookie_nonce"], cookie, mac1)
    (sender,) = struct.unpack("<I", initiation[4:8])
    msg = struct.pack("<I", MSG_COOKIE_REPLY)
    msg += struct.pack("<I", sender)  # receiver index = initiation's sender
    msg += v["cookie_nonce"] + enc
    assert len(msg) == COOKIE_REPLY_LEN
    return msg


def consume_cookie_reply(v, msg, initiation):
    """Initiator side: recover the cookie from a cookie reply."""
    assert msg[0:4] == b"\x03\x00\x00\x00"
    (receiver,) = struct.unpack("<I", msg[4:8])
    assert receiver == v["initiator_index"]
    s_r_pub = pubkey(v["responder_static_private"])
    return XAEAD_open(cookie_key(s_r_pub), msg[8:32], msg[32:64], initiation[116:132])


def add_mac2(msg, cookie):
    body = msg[:-16]
    return body + MAC(cookie, body)


def tai64n(unix_seconds, nanoseconds):
    return struct.pack(">QI", (1 << 62) + unix_seconds, nanoseconds)


# --------------------------------------------------------------------------
# Vectors
# --------------------------------------------------------------------------


def d(label, n=32):
    """Deterministic pseudo-random bytes from a label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"wgrs-kat/" + label.encode() + bytes([i])).digest()
        i += 1
    return out[:n]


def vector_inputs():
    return [
        dict(
            name="no-psk",
            initiator_static_private=bytes(range(0x00, 0x20)),
            responder_static_private=bytes(range(0x20, 0x40)),
            initiator_ephemeral_private=bytes(range(0x40, 0x60)),
            responder_ephemeral_private=bytes(range(0x60, 0x80)),
            preshared_key=bytes(32),
            timestamp=tai64n(1700000000, 123456789),
            initiator_index=0x11223344,
            responder_index=0x55667788,
            cookie_secret=bytes(range(0x80, 0xA0)),
            source_address=bytes([192, 0, 2, 1]),
            source_port=51820,
            cookie_nonce=bytes(range(0xA0, 0xB8)),
        ),
        dict(
            name="psk",
            initiator_static_private=d("psk/initiator-static"),
            responder_static_private=d("psk/responder-static"),
            initiator_ephemeral_private=d("psk/initiator-ephemeral"),
            responder_ephemeral_private=d("psk/responder-ephemeral"),
            preshared_key=d("psk/preshared-key"),
            timestamp=tai64n(1712345678, 999999999),
            initiator_index=0xDEADBEEF,
            responder_index=0x00000001,
            cookie_secret=d("psk/cookie-secret"),
            source_address=bytes([198, 51, 100, 77]),
            source_port=12345,
            cookie_nonce=d("psk/cookie-nonce", 24),
        ),
        dict(
            name="ipv6-psk",
            initiator_static_private=d("v6/initiator-static"),
            responder_static_private=d("v6/responder-static"),
            initiator_ephemeral_private=d("v6/initiator-ephemeral"),
            responder_ephemeral_private=d("v6/responder-ephemeral"),
            preshared_key=d("v6/preshared-key"),
            timestamp=tai64n(1600000000, 1),
            initiator_index=0x80000000,
            responder_index=0xFFFFFFFE,
            cookie_secret=d("v6/cookie-secret"),
            # 2001:db8::1234:5678
            source_address=bytes.fromhex("20010db8000000000000000012345678"),
            source_port=0xBEEF,
            cookie_nonce=d("v6/cookie-nonce", 24),
        ),
    ]


def compute_vector(v):
    v = dict(v)
    s_i_pub = pubkey(v["initiator_static_private"])
    s_r_pub = pubkey(v["responder_static_private"])
    v["initiator_static_public"] = s_i_pub
    v["responder_static_public"] = s_r_pub

    # Initiator -> responder.
    init, c_i, h_i = create_initiation(v)
    got_s_i_pub, ts, sender, c_r, h_r = consume_initiation(
        init, v["responder_static_private"], {s_i_pub}
    )
    assert got_s_i_pub == s_i_pub
    assert ts == v["timestamp"]
    assert sender == v["initiator_index"]
    assert (c_r, h_r) == (c_i, h_i), "handshake state diverged after initiation"
    # A responder that does not know this initiator must reject it.
    try:
        consume_initiation(init, v["responder_static_private"], {bytes(32)})
    except AssertionError:
        pass
    else:
        raise AssertionError("unknown peer accepted")
    # A wrong responder key must fail mac1 / decryption.
    try:
        consume_initiation(init, v["initiator_static_private"], {s_i_pub})
    except (AssertionError, InvalidTag):
        pass
    else:
        raise AssertionError("initiation accepted by the wrong responder")

    # Responder -> initiator.
    resp, c_r, h_r = create_response(v, s_i_pub, init[8:40], c_r, h_r)
    c_i, h_i = consume_response(v, resp, c_i, h_i)
    assert (c_i, h_i) == (c_r, h_r), "handshake state diverged after response"

    # Transport keys.
    i_send, i_recv = KDF2(c_i, b"")
    r_recv, r_send = KDF2(c_r, b"")
    assert i_send == r_recv and i_recv == r_send
    assert i_send != i_recv
    v["initiator_send_key"] = i_send
    v["initiator_receive_key"] = i_recv
    # Round-trip a transport packet each way with counter 0.
    assert AEAD_open(r_recv, 0, AEAD(i_send, 0, b"ping", b""), b"") == b"ping"
    assert AEAD_open(i_recv, 0, AEAD(r_send, 0, b"pong", b""), b"") == b"pong"

    # Cookie.
    cookie = make_cookie(v["cookie_secret"], v["source_address"], v["source_port"])
    reply = create_cookie_reply(v, init, cookie)
    assert consume_cookie_reply(v, reply, init) == cookie
    with_mac2 = add_mac2(init, cookie)
    assert with_mac2[:132] == init[:132]
    assert with_mac2[132:] != bytes(16)
    # Responder check of mac2 (recomputing the cookie from the source).
    recomputed = make_cookie(v["cookie_secret"], v["source_address"], v["source_port"])
    assert with_mac2[132:148] == MAC(recomputed, with_mac2[:132])
    # mac1 still verifies and the handshake still consumes.
    assert consume_initiation(with_mac2, v["responder_static_private"], {s_i_pub})[1] == v["timestamp"]

    v["initiation"] = init
    v["response"] = resp
    v["cookie"] = cookie
    v["cookie_reply"] = reply
    v["initiation_with_mac2"] = with_mac2
    return v


# --------------------------------------------------------------------------
# Rust output
# --------------------------------------------------------------------------

FIELDS = [
    ("initiator_static_private", 32),
    ("initiator_static_public", 32),
    ("responder_static_private", 32),
    ("responder_static_public", 32),
    ("initiator_ephemeral_private", 32),
    ("responder_ephemeral_private", 32),
    ("preshared_key", 32),
    ("timestamp", 12),
    ("initiator_index", None),
    ("responder_index", None),
    ("initiation", INITIATION_LEN),
    ("response", RESPONSE_LEN),
    ("initiator_send_key", 32),
    ("initiator_receive_key", 32),
    ("cookie_secret", 32),
    ("source_address", "slice"),
    ("source_port", None),
    ("cookie_nonce", 24),
    ("cookie", 16),
    ("cookie_reply", COOKIE_REPLY_LEN),
    ("initiation_with_mac2", INITIATION_LEN),
]

INDENT = " " * 8

# Layout chosen to be exactly what rustfmt (default config: max_width 100,
# array_width 60) produces, so `rustfmt --check` leaves the file alone:
# short arrays stay on one line, longer ones are packed as many items per
# line as fit in 100 columns (14 at this indentation).
MAX_WIDTH = 100
ARRAY_WIDTH = 60


def rust_bytes(name, data, slice_ref=False):
    prefix = "&" if slice_ref else ""
    items = ["0x%02x" % b for b in data]
    one_line = "[%s]" % ", ".join(items)
    line = "%s%s: %s%s," % (INDENT, name, prefix, one_line)
    if len(one_line) <= ARRAY_WIDTH and len(line) <= MAX_WIDTH:
        return line + "\n"
    inner = INDENT + "    "
    per_line = (MAX_WIDTH - len(inner) + 1) // 6  # "0x00, " is 6 columns
    lines = ["%s%s: %s[\n" % (INDENT, name, prefix)]
    for i in range(0, len(items), per_line):
        lines.append(inner + " ".join(x + "," for x in items[i : i + per_line]) + "\n")
    lines.append("%s],\n" % INDENT)
    return "".join(lines)


def render(vectors):
    out = []
    out.append("// SPDX-License-Identifier: GPL-2.0\n")
    out.append(
        "// Generated by selftests/vectors/gen_noise_vectors.py from an independent\n"
    )
    out.append("// Python implementation of the WireGuard handshake. Do not edit.\n")
    out.append("\n")
    out.append("use super::vectors::NoiseVector;\n")
    out.append("\n")
    out.append("pub(crate) const NOISE_VECTORS: &[NoiseVector] = &[\n")
    for v in vectors:
        out.append("    NoiseVector {\n")
        out.append('%sname: "%s",\n' % (INDENT, v["name"]))
        for field, size in FIELDS:
            val = v[field]
            if field in ("initiator_index", "responder_index"):
                out.append("%s%s: 0x%08xu32,\n" % (INDENT, field, val))
            elif field == "source_port":
                out.append("%s%s: %du16,\n" % (INDENT, field, val))
            elif size == "slice":
                out.append(rust_bytes(field, val, slice_ref=True))
            else:
                assert len(val) == size, (field, len(val))
                out.append(rust_bytes(field, val))
        out.append("    },\n")
    out.append("];\n")
    return "".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        path = os.path.join(here, "..", "..", "rust", "selftest", "noise_vectors.rs")

    self_check_primitives()
    vectors = [compute_vector(v) for v in vector_inputs()]

    names = [v["name"] for v in vectors]
    assert len(set(names)) == len(names)

    text = render(vectors)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print("wrote %d vectors to %s; all self-checks passed" % (len(vectors), path))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile WireGuard datagrams for the tests (run in the namespace that
holds the device's sockets).

  wgpkt.py junk HOST PORT
      malformed messages: wrong lengths, unknown types, reserved bits set
  wgpkt.py capture IFACE PORT COUNT FILE
      save the payloads of COUNT data messages (type 4) sent to PORT, seen
      on IFACE with a packet socket, one hex line each
  wgpkt.py replay HOST PORT FILE MODE
      send the saved messages again from another port; MODE: as-is,
      flip (one ciphertext bit flipped), index (wrong receiver index),
      short (truncated)
  wgpkt.py handshakes HOST PORT FILE WINDOW
      send the initiations in FILE (from gen_initiations.py), at most
      WINDOW unanswered at a time; prints "responses N seconds S"
  wgpkt.py flood HOST PORT PUBKEY SECONDS SRC
      handshake initiations with a valid mac1 for PUBKEY (base64) and
      garbage otherwise, from address SRC, until SIGTERM or for at most
      SECONDS; prints "first cookie" when the first cookie reply comes
      back, "cookies M" (the replies so far) on each SIGUSR1, and at the
      end "sent N cookies M"
  wgpkt.py inner IFACE MODE COUNT
      COUNT IPv4 packets of 48 bytes to 192.168.241.2 sent on IFACE (a
      WireGuard device) through an AF_PACKET socket, so that the device
      encrypts them for its peer: MODE src, from 10.66.0.1 (a source the
      peer does not allow), or size, whose header says 1000 bytes
"""
import base64
import hashlib
import os
import signal
import socket
import struct
import sys
import time


def send_all(host, port, payloads, src=("", 0)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(src)
    for p in payloads:
        s.sendto(p, (host, int(port)))
    return s


def junk(host, port):
    msgs = [
        b"",
        b"\x01\x00\x00",
        struct.pack("<I", 1) + os.urandom(143),      # initiation, 147 bytes
        struct.pack("<I", 1) + os.urandom(145),      # initiation, 149 bytes
        struct.pack("<I", 2) + os.urandom(87),       # response, 91 bytes
        struct.pack("<I", 3) + os.urandom(59),       # cookie, 63 bytes
        struct.pack("<I", 4) + os.urandom(27),       # data, 31 bytes
        struct.pack("<I", 5) + os.urandom(60),       # no such type
        struct.pack("<I", 0x101) + os.urandom(144),  # type 1, reserved byte set
        struct.pack("<I", 4) + os.urandom(4000),     # data, bad index
        os.urandom(1400),
    ]
    send_all(host, port, msgs)
    print("sent %d" % len(msgs))


def capture(iface, port, count, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(60)
    print("listening", flush=True)
    out = []
    while len(out) < int(count):
        pkt = s.recv(65535)
        ihl = (pkt[0] & 15) * 4
        if pkt[9] != 17:
            continue
        dport = struct.unpack("!H", pkt[ihl + 2:ihl + 4])[0]
        payload = pkt[ihl + 8:]
        # Loopback shows each packet twice (sent and received).
        if dport == int(port) and payload[:4] == struct.pack("<I", 4) \
                and payload.hex() not in out:
            out.append(payload.hex())
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("captured %d" % len(out), flush=True)


def replay(host, port, path, mode):
    msgs = []
    for line in open(path):
        m = bytearray(bytes.fromhex(line.strip()))
        if mode == "flip":
            m[20] ^= 0x40
        elif mode == "index":
            m[4:8] = bytes(b ^ 0xA5 for b in m[4:8])
        elif mode == "short":
            m = m[:len(m) - 5]
        msgs.append(bytes(m))
    send_all(host, port, msgs, ("127.0.0.3", 0))
    print("replayed %d" % len(msgs))


def flood(host, port, pubkey, seconds, src):
    state = {"stop": False, "cookies": 0}

    def report(*_):
        print("cookies %d" % state["cookies"], flush=True)

    def stop(*_):
        state["stop"] = True

    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, stop)
    key = hashlib.blake2s(b"mac1----" + base64.b64decode(pubkey)).digest()
    # A pool made once, then sent as fast as the socket takes it: each one
    # still costs the device a Diffie-Hellman unless it is under load.
    pool = []
    for _ in range(256):
        body = struct.pack("<I", 1) + os.urandom(112)
        pool.append(body + hashlib.blake2s(body, key=key, digest_size=16).digest() + bytes(16))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    dst = (host, int(port))
    end = time.monotonic() + float(seconds)
    sent = 0

    def drain():
        n = 0
        try:
            while True:
                r = s.recv(2048)
                if len(r) == 64 and r[:4] == struct.pack("<I", 3):
                    n += 1
        except BlockingIOError:
            pass
        if n and not state["cookies"]:
            print("first cookie", flush=True)
        state["cookies"] += n

    while not state["stop"] and time.monotonic() < end:
        for m in pool:
            try:
                s.sendto(m, dst)
                sent += 1
            except BlockingIOError:
                pass
        drain()
    time.sleep(1)
    drain()
    print("sent %d cookies %d" % (sent, state["cookies"]), flush=True)


def inner(iface, mode, count):
    # IPv4, UDP to port 9: 20 + 8 + 20 bytes (no padding to add: a multiple
    # of 16, so each leaves as an 80-byte data message).
    src = socket.inet_aton("10.66.0.1" if mode == "src" else "192.168.241.1")
    dst = socket.inet_aton("192.168.241.2")
    total = 1000 if mode == "size" else 48
    udp = struct.pack("!HHHH", 9, 9, 28, 0) + bytes(20)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 17, 0, src, dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    for _ in range(int(count)):
        s.sendto(hdr + udp, (iface, 0x0800))
    print("sent %s" % count)


def handshakes(host, port, path, window):
    msgs = [bytes.fromhex(l.split()[1]) for l in open(path).readlines()[1:] if l.strip()]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.4", 0))
    s.settimeout(5)
    sent = responses = 0
    start = time.monotonic()
    try:
        while responses < len(msgs):
            while sent < len(msgs) and sent - responses < int(window):
                s.sendto(msgs[sent], (host, int(port)))
                sent += 1
            r = s.recv(2048)
            if len(r) == 92 and r[:4] == struct.pack("<I", 2):
                responses += 1
    except socket.timeout:
        pass
    print("responses %d seconds %.3f" % (responses, time.monotonic() - start))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"junk": junk, "capture": capture, "replay": replay, "flood": flood,
     "handshakes": handshakes, "inner": inner}[cmd](*args)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Transfers for the tunnel tests: a byte stream over TCP or datagrams
over UDP, with what arrived checked on the receiving side.

  xfer.py tcp-recv PORT                  accept one connection, print
                                         "bytes N sha256 H" of what came
  xfer.py tcp-send HOST PORT BYTES SEED  send BYTES pseudo-random bytes,
                                         print "sha256 H" of what was sent
  xfer.py udp-recv PORT COUNT TIMEOUT [BARRIER]
                                         print "datagrams N bad B late L" once
                                         COUNT arrived or TIMEOUT s passed (L:
                                         those that came after a later one);
                                         with BARRIER, the datagram numbered
                                         BARRIER ends the count too (it is not
                                         counted; " barrier 1" is added, or
                                         " barrier 0" if it never came)
  xfer.py udp-send HOST PORT COUNT SIZE [mixed]
                                         send COUNT numbered datagrams; mixed:
                                         from CPU 0, two in three of 64 bytes,
                                         in bursts of 16 after 3 ms pauses
  xfer.py udp-echo PORT COUNT            send back the first COUNT datagrams
  xfer.py udp-rtt HOST PORT COUNT [TIMEOUT [tick]]
                                         COUNT request/answer round trips, one
                                         at a time, each given TIMEOUT s (1):
                                         print "rtt-us N lost L sent S p50-us P
                                         p99-us Q max-us M secs T tick-us K" (N:
                                         the mean of those answered; P, Q, M:
                                         over all S, a lost one counted as
                                         TIMEOUT; T: the whole run; K, with
                                         "tick", the smallest step the clock was
                                         seen to take, else 0)
  xfer.py icmp-error HOST                what a connected UDP socket to HOST
                                         learns from ICMP errors: the errno
                                         name, or "none"

Addresses may be IPv4 or IPv6. Everything deterministic comes from SEED, so
sender and receiver agree on the content without sharing a file.
"""
import hashlib
import os
import signal
import socket
import struct
import sys
import time

# The TCP connections open now. A transfer killed with SIGTERM resets them
# (SO_LINGER of 0) instead of leaving them to close in the background: an
# orphaned socket still sending its FIN holds its network namespace (and
# the devices in it) for minutes after "ip netns del".
_open = []


def _reset_and_exit(signum, frame):
    for s in _open:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _reset_and_exit)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def stream(nbytes, seed):
    """nbytes of a repeatable pseudo-random stream (SHA-256 in counter mode)."""
    block, i, left = b"", 0, nbytes
    while left > 0:
        block = hashlib.sha256(b"%d:%d" % (seed, i)).digest() * 512
        i += 1
        chunk = block[:left]
        left -= len(chunk)
        yield chunk


def tcp_recv(port):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", int(port)))
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    _open.append(conn)
    h, n = hashlib.sha256(), 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        h.update(data)
        n += len(data)
    print("bytes %d sha256 %s" % (n, h.hexdigest()), flush=True)


def tcp_send(host, port, nbytes, seed):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    _open.append(s)
    s.settimeout(60)
    s.connect((host, int(port)))
    h = hashlib.sha256()
    for chunk in stream(int(nbytes), int(seed)):
        s.sendall(chunk)
        h.update(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    print("sha256 %s" % h.hexdigest(), flush=True)


def udp_recv(port, count, timeout, barrier=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # A receiver slowed down by a busy machine must not lose what the
    # tunnel delivered: a buffer for every datagram (SO_RCVBUFFORCE).
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    s.bind(("::", int(port)))
    print("listening", flush=True)
    end = time.monotonic() + float(timeout)
    seen, bad, late, highest, stopped = set(), 0, 0, -1, 0
    while len(seen) < int(count):
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        num = int.from_bytes(data[:4], "big")
        if data[4:] != bytes([num & 0xFF]) * (len(data) - 4):
            bad += 1
        if barrier is not None and num == int(barrier):
            stopped = 1
            break
        seen.add(num)
        if num < highest:
            late += 1
        highest = max(highest, num)
    tail = "" if barrier is None else " barrier %d" % stopped
    print("datagrams %d bad %d late %d%s" % (len(seen), bad, late, tail), flush=True)


def udp_send(host, port, count, size, pattern="even"):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    mixed = pattern == "mixed"
    if mixed:
        # One CPU: datagrams sent from two could meet on their way to the
        # tunnel in either order, which is no fault of the tunnel's.
        import os
        os.sched_setaffinity(0, {0})
    for i in range(int(count)):
        n = 64 if mixed and i % 3 else int(size)
        s.sendto(i.to_bytes(4, "big") + bytes([i & 0xFF]) * (n - 4), (host, int(port)))
        if mixed and i % 16 == 15:
            time.sleep(0.003)
        elif i % 64 == 63:
            time.sleep(0.01)


def udp_echo(port, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    print("listening", flush=True)
    s.settimeout(30)
    for _ in range(int(count)):
        try:
            data, peer = s.recvfrom(65536)
        except socket.timeout:
            return
        s.sendto(data, peer)


def clock_tick():
    """The smallest step time.monotonic() was seen to take (s): a figure
    finer than this is not a measurement (a clock that ticks coarsely,
    as a guest's may, reads most short round trips as 0 or one tick)."""
    tick, last = None, time.monotonic()
    for _ in range(2000):
        now = time.monotonic()
        if now > last:
            tick = now - last if tick is None else min(tick, now - last)
        last = now
    return tick or 0.0


def udp_rtt(host, port, count, timeout="1", tick=""):
    # Request/answer pairs one at a time. A request without an answer in
    # TIMEOUT s counts as lost (a late answer to it is skipped); in the
    # percentiles and the maximum it counts as TIMEOUT, a lower bound of a
    # round trip that never ended, so that losses cannot make the figures
    # look better than the delay the answered ones saw. The mean is over
    # the answered ones only (printed first, for comparison with it).
    n, limit = int(count), float(timeout)
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.connect((host, int(port)))
    s.settimeout(limit)
    times, lost = [], 0
    begin = time.monotonic()
    for i in range(n):
        start = time.monotonic()
        try:
            s.send(i.to_bytes(4, "big"))
        except OSError:
            # Refused on the way out (the tunnel's device down, no
            # buffer): as lost as one dropped later.
            lost += 1
            times.append(limit)
            continue
        while True:
            try:
                data = s.recv(64)
            except (socket.timeout, OSError):
                lost += 1
                times.append(limit)
                break
            if data == i.to_bytes(4, "big"):
                times.append(time.monotonic() - start)
                break
    secs = time.monotonic() - begin
    mean = (sum(times) - lost * limit) * 1e6 / (n - lost) if n > lost else 0
    times.sort()

    def pct(q):
        # Nearest rank: the smallest value with at least q% at or below it.
        return times[max(0, -(-len(times) * q // 100) - 1)] * 1e6 if times else 0

    print("rtt-us %d lost %d sent %d p50-us %d p99-us %d max-us %d secs %.3f tick-us %.3f"
          % (mean, lost, n, pct(50), pct(99), pct(100), secs,
             clock_tick() * 1e6 if tick == "tick" else 0), flush=True)


def icmp_error(host):
    import errno
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    # "Host unreachable" is not a hard error: it reaches the socket only
    # with IP_RECVERR.
    if family(host) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, 25, 1)  # IPV6_RECVERR
    else:
        s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR
    s.connect((host, 9))
    s.settimeout(2)
    try:
        s.send(b"x")
        time.sleep(0.5)
        s.send(b"x")
        s.recv(1)
        print("none")
    except socket.timeout:
        print("none")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"tcp-recv": tcp_recv, "tcp-send": tcp_send,
     "udp-recv": udp_recv, "udp-send": udp_send, "udp-echo": udp_echo,
     "udp-rtt": udp_rtt, "icmp-error": icmp_error}[cmd](*args)

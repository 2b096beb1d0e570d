#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hand-made packets for the L3 redirect test (27-l3-redirect.sh).

  l3send.py eth IFACE DSTMAC KIND COUNT FIRST
      COUNT Ethernet frames on IFACE (an AF_PACKET raw socket) to DSTMAC:
      KIND ipv4 or ipv6 (a UDP datagram from 10.9.0.1 / fd09::1 to
      192.168.241.2 / fd00::2, port 7000), or nonip (EtherType 0x88B5, a
      payload that is no IP header)
  l3send.py dgram IFACE KIND COUNT FIRST
      COUNT packets of KIND ipv4 or ipv6 on IFACE through an AF_PACKET
      SOCK_DGRAM socket with protocol 0 (so skb->protocol is 0); a send
      the device refuses is counted, and the next one sent

The UDP payloads are numbered from FIRST in xfer.py's format (4-byte
number, then its low byte repeated), so "xfer.py udp-recv" counts them.
"""
import socket
import struct
import sys

SRC4, DST4 = "10.9.0.1", "192.168.241.2"
SRC6, DST6 = "fd09::1", "fd00::2"
PORT = 7000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def payload(num):
    return num.to_bytes(4, "big") + bytes([num & 0xFF]) * 60


def udp(src, dst, num, pseudo):
    data = payload(num)
    length = 8 + len(data)
    hdr = struct.pack("!HHHH", 40000 + num % 1000, PORT, length, 0)
    c = csum(pseudo(length) + hdr + data) or 0xFFFF
    return struct.pack("!HHHH", 40000 + num % 1000, PORT, length, c) + data


def ipv4(num):
    s, d = socket.inet_aton(SRC4), socket.inet_aton(DST4)
    seg = udp(s, d, num, lambda n: s + d + struct.pack("!BBH", 0, 17, n))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), num & 0xFFFF, 0, 64, 17, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + seg


def ipv6(num):
    s, d = socket.inet_pton(socket.AF_INET6, SRC6), socket.inet_pton(socket.AF_INET6, DST6)
    seg = udp(s, d, num, lambda n: s + d + struct.pack("!IxxxB", n, 17))
    return struct.pack("!IHBB16s16s", 6 << 28, len(seg), 17, 64, s, d) + seg


def packet(kind, num):
    if kind == "ipv4":
        return 0x0800, ipv4(num)
    if kind == "ipv6":
        return 0x86DD, ipv6(num)
    if kind == "nonip":
        return 0x88B5, bytes(64)
    raise SystemExit("unknown kind " + kind)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "eth":
        iface, dstmac, kind, count, first = args
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        src = s.getsockname()[4]
        dst = bytes.fromhex(dstmac.replace(":", ""))
        for i in range(int(count)):
            etype, pkt = packet(kind, int(first) + i)
            s.send(dst + src + struct.pack("!H", etype) + pkt)
    elif mode == "dgram":
        iface, kind, count, first = args
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        refused = 0
        for i in range(int(count)):
            _, pkt = packet(kind, int(first) + i)
            try:
                s.sendto(pkt, (iface, 0))
            except OSError as e:
                # The C driver's transmit returns its error to the sender.
                print("refused: %s" % e)
                refused += 1
        print("sent %d refused %d" % (int(count) - refused, refused))
        return
    else:
        raise SystemExit(__doc__)
    print("sent %s" % count)


if __name__ == "__main__":
    main()

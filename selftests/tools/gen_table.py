#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen_table.py OUT: the benchmarks' Internet-sized table as a wg(8)
config (selftests/bench/netlink.inc): 1000 peers of 1000 IPv4 prefixes
each, 60% /24, then /22, /23, /21, /20, /16 and some /32s (roughly the
global table's shape), random addresses from a fixed seed, no host bits
set (wg(8) would warn about each one). Made on the host: the guest's
busybox awk took five minutes of the benchmark VM's clock for it.
"""
import random
import sys

KEYCHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def key(n):
    """A distinct valid public key (base64 of 32 bytes) for peer n."""
    s = ""
    for _ in range(4):
        s += KEYCHARS[n % 64]
        n //= 64
    return s + "C" * 38 + "A="


def main(out):
    rng = random.Random(42)
    lines = []
    for p in range(1000):
        lines.append("[Peer]")
        lines.append("PublicKey = " + key(p + 1))
        for _ in range(1000):
            r = rng.random()
            c = (24 if r < 0.60 else 22 if r < 0.70 else 23 if r < 0.80 else 21 if r < 0.86
                 else 20 if r < 0.91 else 16 if r < 0.95 else 32)
            ip = rng.randrange(1, 224) << 24 | rng.randrange(1 << 24)
            ip &= ~((1 << (32 - c)) - 1) & 0xFFFFFFFF
            lines.append("AllowedIPs = %d.%d.%d.%d/%d" % (ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, c))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

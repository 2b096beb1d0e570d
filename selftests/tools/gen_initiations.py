#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Valid handshake initiations for the handshake benchmark, made on the
host with the project's independent Noise implementation
(selftests/vectors/gen_noise_vectors.py): COUNT initiators, each with its
own static key, all to one responder.

  gen_initiations.py COUNT OUT

OUT gets: line 1 the responder's private key (base64), then COUNT lines
"initiator-public-key-base64 initiation-hex".
"""
import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
import gen_noise_vectors as noise  # noqa: E402


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    responder = noise.clamp(noise.d("bench-responder"))
    now = int(time.time())
    lines = [base64.b64encode(responder).decode()]
    for i in range(count):
        initiator = noise.clamp(noise.d("bench-initiator-%d" % i))
        v = dict(
            initiator_static_private=initiator,
            responder_static_private=responder,
            initiator_ephemeral_private=noise.clamp(noise.d("bench-ephemeral-%d" % i)),
            preshared_key=bytes(32),
            timestamp=noise.tai64n(now, i),
            initiator_index=i + 1,
        )
        msg, _, _ = noise.create_initiation(v)
        lines.append("%s %s" % (base64.b64encode(noise.pubkey(initiator)).decode(), msg.hex()))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

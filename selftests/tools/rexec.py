#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run shell commands on the other guest of the two-VM interop test
(selftests/interop.sh), over the plain network between the guests.

  rexec.py serve PORT DEADLINE IDLE     run each command received, one at a
                                        time; stop on "__stop__", after
                                        DEADLINE seconds, or when no command
                                        came for IDLE s (2 x IDLE before
                                        the first one)
  rexec.py run HOST PORT TIMEOUT CMD    run CMD on HOST under /bin/sh -c,
                                        killed after TIMEOUT s; print its
                                        output (stdout and stderr) and exit
                                        with its status (124: timed out,
                                        255: no answer)

One request per connection: a JSON line {"cmd", "timeout"} in, a JSON line
{"rc", "out"} back. A command's output goes to a file, not a pipe, so a
command may leave a background job running (a receiver) without the reply
waiting for it; such a job must redirect its own output.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def serve(port, deadline, idle):
    end = time.monotonic() + float(deadline)
    quiet_end = time.monotonic() + 2 * float(idle)
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", int(port)))
    srv.listen(4)
    print("rexec: serving on port %s" % port, flush=True)
    while True:
        left = min(end, quiet_end) - time.monotonic()
        if left <= 0:
            print("rexec: %s reached, stopping" % (
                "deadline" if end <= quiet_end else "idle timeout"), flush=True)
            return 1
        srv.settimeout(left)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        quiet_end = time.monotonic() + float(idle)
        with conn:
            conn.settimeout(30)
            try:
                req = json.loads(conn.makefile("rb").readline())
            except (OSError, ValueError):
                continue
            if req["cmd"] == "__stop__":
                conn.sendall(b'{"rc": 0, "out": ""}\n')
                return 0
            rc, out = run_local(req["cmd"], float(req["timeout"]))
            try:
                conn.sendall(json.dumps({"rc": rc, "out": out}).encode() + b"\n")
            except OSError:
                pass


def run_local(cmd, timeout):
    with tempfile.TemporaryFile() as f:
        p = subprocess.Popen(["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL,
                             stdout=f, stderr=f, start_new_session=True)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = 124
        f.seek(0)
        return rc, f.read().decode(errors="replace")


def run(host, port, timeout, cmd):
    try:
        s = socket.create_connection((host, int(port)), timeout=10)
        s.settimeout(float(timeout) + 15)
        s.sendall(json.dumps({"cmd": cmd, "timeout": float(timeout)}).encode() + b"\n")
        rep = json.loads(s.makefile("rb").readline())
    except (OSError, ValueError) as e:
        print("rexec: no answer from %s: %s" % (host, e), file=sys.stderr)
        return 255
    sys.stdout.write(rep["out"])
    return rep["rc"]


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        sys.exit(serve(*args))
    sys.exit(run(*args))

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark's results file, and everything computed from it.

  report.py record RESULTS LOG [--clock C] [--kernel K] [--commit X]
            [--load-before L] [--load-after L] [--extra FILE]...
      Append one run to RESULTS: a header line, then every WGRS-BENCH line
      of LOG (a benchmark VM's results log) and the lines of each FILE (the
      host's instruction-profile report). Then print that run's summary.
  report.py summary RESULTS [--merged]
      Print the summary of every run in RESULTS; with --merged, one per
      clock, each figure from the last run that measured it (`make bench`
      boots a VM per group of scripts, all into one results file).
  report.py table RESULTS [--update README]
      The README's performance tables (markdown), per clock, each figure
      from the last run that measured it; with --update, written into
      README between the lines "<!-- bench-table begin -->" and
      "<!-- bench-table end -->".

A results file is text: runs one after another, each starting with
"=== run KEY=VALUE..." (VALUE quoted when it has spaces). In a run, the
lines "raw SCRIPT round=R drv=D fig=F value=V unit=U [KEY=N]..." are one
measurement each (selftests/bench/bench.inc); every other line is kept as
the VM or the host printed it.

The summary, per figure: each driver's minimum, median and maximum over
the rounds; the ratio ours/C of each round (the two drivers of one round
ran back to back, in ABBA order), unrounded, with its median and its worst
and best round; and what was lost or dropped meanwhile. A goal is "met"
only if every round's ratio clears it: with n rounds, if the true ratio
were exactly at the bound and each round's ratio as likely above it as
below, all n would clear it by chance with probability 2^-n (1/64 for 6
rounds: a sign test). A goal whose median ratio clears it but not every
round is "within the noise"; one whose median does not is "missed".
"""
import argparse
import datetime
import os
import re
import shlex
import statistics
import sys

# Issue 14's goals (and issue 25's fairness): script, figure, direction
# (ge: the ratio must be at least the bound; le: at most; le-diff: ours
# minus C's at most the bound, for counts that may be 0), bound, and the
# clocks under which it is a measurement of its own.
GOALS = [
    ("tunnel", "tcp-1-stream", "ge", 1.05, ("icount", "real")),
    ("tunnel", "tcp-4-streams", "ge", 1.05, ("icount", "real")),
    ("tunnel", "udp-64B", "ge", 1.05, ("icount", "real")),
    ("latency", "rtt-idle", "le", 1.00, ("icount", "real")),
    ("latency", "rtt-loaded", "le", 1.00, ("icount", "real")),
    ("handshakes", "handshakes-answered", "ge", 1.00, ("icount", "real")),
    # Under the instruction clock the busy time of all CPUs is the elapsed
    # time (they take turns on one instruction stream): CPU time per GB is
    # then 1 / the one stream's throughput, not a measurement of its own.
    ("tunnel", "cpu-per-GB", "le", 0.95, ("real",)),
    ("fairness", "victim-rtt-under-flood", "le", 1.00, ("icount", "real")),
    ("fairness", "victim-lost-under-flood", "le-diff", 0, ("icount", "real")),
    ("fairness", "victim-rtt-under-bulk", "le", 1.00, ("icount", "real")),
    ("fairness", "victim-lost-under-bulk", "le-diff", 0, ("icount", "real")),
]

# Counters shown next to a figure: losses, drops and what they cause.
LOSS_KEY = re.compile(r"^(lost|unaccounted|.*dropped|.*_errors|.*Errors|.*RetransSegs|.*InCEPkts)$")


def parse_kv(words):
    out = {}
    for w in words:
        k, sep, v = w.partition("=")
        if sep:
            out[k] = v
    return out


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class Run:
    def __init__(self, meta):
        self.meta = meta
        self.raw = []     # dicts: script, round, drv, fig, value, unit, extra
        self.lines = []   # everything else

    @property
    def clock(self):
        return self.meta.get("clock", "?")

    def add(self, line):
        words = line.split()
        if len(words) >= 2 and words[0] == "raw":
            kv = parse_kv(words[2:])
            try:
                rec = {"script": words[1], "round": int(kv.pop("round")), "drv": kv.pop("drv"),
                       "fig": kv.pop("fig"), "value": float(kv.pop("value")), "unit": kv.pop("unit"),
                       "extra": {k: num(v) for k, v in kv.items()}}
            except (KeyError, ValueError):
                self.lines.append(line)
                return
            self.raw.append(rec)
        else:
            self.lines.append(line)


def read_results(path):
    runs = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("=== run "):
                runs.append(Run(parse_kv(shlex.split(line[len("=== run "):]))))
            elif runs and line.strip():
                runs[-1].add(line)
    return runs


def derive(run):
    """Figures computed from others, added as raw records of their own:
    the CPU time per GB of the one stream, its fraction of the cipher's
    limit, the count of lost requests as a figure, and for each
    measurement the packets one device sent that no device received or
    counted as dropped ("unaccounted": neither driver counts a packet its
    full decryption ring refused)."""
    cipher = None
    for line in run.lines:
        m = re.search(r"bench: chacha20poly1305-1cpu MB/s=([0-9.]+)", line)
        if m:
            cipher = float(m.group(1))
    extra = []
    for r in run.raw:
        e = r["extra"]
        tx = sum(v for k, v in e.items() if k.endswith(".tx_packets") and v is not None)
        if tx:
            rx = sum(v for k, v in e.items() if v is not None and (
                k.endswith(".rx_packets") or k.endswith(".rx_dropped") or k.endswith(".rx_errors")))
            e["unaccounted"] = tx - rx
        if r["script"] == "tunnel" and r["fig"] == "tcp-1-stream":
            gb = (e.get("mb") or 0) * 1048576 / 1e9
            if gb > 0 and e.get("cpu_ticks") is not None and e.get("hz"):
                extra.append(dict(r, fig="cpu-per-GB", value=e["cpu_ticks"] / e["hz"] / gb, unit="s/GB",
                                  extra={}))
            if cipher:
                extra.append(dict(r, fig="tcp-1-stream-of-cipher-limit", value=r["value"] / 8 / cipher,
                                  unit="fraction", extra={}))
        if r["script"] == "fairness" and e.get("lost") is not None:
            extra.append(dict(r, fig=r["fig"].replace("-rtt-", "-lost-"), value=e["lost"],
                              unit="requests-of-%d" % (e.get("sent") or 0), extra={}))
    run.raw.extend(extra)
    return cipher


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if v == int(v) and a < 1e9:
        return "{:,}".format(int(v))
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    if a == 0:
        return "0"
    return "%.3g" % v


def figures(run):
    """(script, fig) in order of first appearance, with records by driver."""
    order, by = [], {}
    for r in run.raw:
        key = (r["script"], r["fig"])
        if key not in by:
            order.append(key)
            by[key] = {}
        by[key].setdefault(r["drv"], {})[r["round"]] = r
    return order, by


def reference(drivers):
    return "c" if "c" in drivers else ("default" if "default" in drivers else None)


def compare(recs, drv, ref, op):
    """The paired per-round comparison of drv against ref: list of values
    (ratio, or difference for le-diff), one per round both ran."""
    out = []
    for rnd in sorted(set(recs[drv]) & set(recs[ref])):
        a, b = recs[drv][rnd]["value"], recs[ref][rnd]["value"]
        if op == "le-diff":
            out.append(a - b)
        elif b > 0:
            out.append(a / b)
    return out


def verdict(vals, op, bound):
    if not vals:
        return "not measured", None
    ok = (lambda x: x >= bound) if op == "ge" else (lambda x: x <= bound)
    worst = min(vals) if op == "ge" else max(vals)
    med = statistics.median(vals)
    if op == "le-diff":
        # counts: the total decides "within the noise"
        med = sum(vals)
    if ok(worst):
        return "met", worst
    if ok(med):
        return "within the noise", worst
    return "missed", worst


def loss_summary(recs):
    """'key median [min-max]' of the loss and drop counters that moved in
    any round."""
    keys = sorted({k for r in recs.values() for k, v in r["extra"].items() if v and LOSS_KEY.match(k)})
    parts = []
    for k in keys:
        vals = [r["extra"].get(k) or 0 for r in recs.values()]
        lo, hi = min(vals), max(vals)
        parts.append("%s %s%s" % (k, fmt(statistics.median(vals)),
                                  "" if lo == hi else " [%s..%s]" % (fmt(lo), fmt(hi))))
    return ", ".join(parts) if parts else "none"


def goal_for(script, fig):
    for g in GOALS:
        if g[0] == script and g[1] == fig:
            return g
    return None


def summarize(run, out=sys.stdout):
    cipher = derive(run)
    clock = run.clock
    p = lambda s: print("[%s] %s" % (clock, s), file=out)
    m = run.meta
    if m.get("boots"):
        p("%d boots, the last %s, commit %s, %s rounds; host load (1 min) before/after each boot: %s"
          % (len(m["boots"]), m.get("date", "?"), m.get("commit", "?"), m.get("rounds", "?"), loads(m)))
    else:
        p("run %s, commit %s, kernel %s, %s rounds; host load (1, 5, 15 min) before %s, after %s"
          % (m.get("date", "?"), m.get("commit", "?"), m.get("kernel", "?"), m.get("rounds", "?"),
             " ".join(m.get("load_before", "?").split()[:3]), " ".join(m.get("load_after", "?").split()[:3])))
    if cipher:
        p("cipher limit (ChaCha20-Poly1305, one CPU, 1420-byte packets): %s MB/s" % fmt(cipher))
    order, by = figures(run)
    goals = []
    for script, fig in order:
        recs = by[(script, fig)]
        drivers = list(recs)
        ref = reference(drivers)
        unit = next(iter(next(iter(recs.values())).values()))["unit"]
        p("%s %s (%s):" % (script, fig, unit))
        for d in drivers:
            vals = [recs[d][k]["value"] for k in sorted(recs[d])]
            p("    %-20s min %s  median %s  max %s  (%d rounds: %s)"
              % (d, fmt(min(vals)), fmt(statistics.median(vals)), fmt(max(vals)), len(vals),
                 " ".join(fmt(v) for v in vals)))
        g = goal_for(script, fig)
        for d in drivers:
            if ref is None or d == ref:
                continue
            op = g[2] if g else "ge"
            vals = compare(recs, d, ref, op)
            if not vals:
                continue
            what = "ours - C" if op == "le-diff" else "%s/%s" % ("ours" if d == "ours" else d,
                                                                 "C" if ref == "c" else ref)
            line = "    %s per round: %s; median %.4f, range %.4f..%.4f" % (
                what, " ".join("%.4f" % v for v in vals), statistics.median(vals), min(vals), max(vals))
            p(line)
            if g and d == "ours":
                if clock in g[4]:
                    v, worst = verdict(vals, g[2], g[3])
                    goals.append((script, fig, v))
                    p("    goal %s %s %s: %s (worst round %.4f)"
                      % ("ours - C" if g[2] == "le-diff" else "ratio", {"ge": ">=", "le": "<=", "le-diff": "<="}[g[2]],
                         g[3], v, worst))
                else:
                    p("    not a goal under this clock: %s" % (
                        "the busy time of all CPUs is the elapsed time here, so this is 1 / the one "
                        "stream's throughput" if fig == "cpu-per-GB" else "not a measurement of its own"))
            if fig == "tcp-1-stream-of-cipher-limit":
                p("    (not a goal: the cipher's rate cancels, this ratio is the one stream's)")
        for d in drivers:
            p("    lost/dropped, %s: %s" % (d, loss_summary(recs[d])))
    if goals:
        met = sum(1 for g in goals if g[2] == "met")
        noise = sum(1 for g in goals if g[2] == "within the noise")
        p("bench: goals met %d of %d distinct measurements (%d within the noise, %d missed)"
          % (met, len(goals), noise, len(goals) - met - noise))
    for line in run.lines:
        if line.startswith("bench: insn-") or line.startswith("netlink table: ours/C"):
            p(line)


def record(args):
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    lines = []
    with open(args.log, errors="replace") as f:
        for line in f:
            if line.startswith("WGRS-BENCH "):
                lines.append(line[len("WGRS-BENCH "):].rstrip("\n"))
    for path in args.extra or []:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                lines.extend(l.rstrip("\n") for l in f if l.strip())
    rounds = None
    for line in lines:
        m = re.match(r"raw \S+ round=(\d+) ", line)
        if m:
            rounds = max(rounds or 0, int(m.group(1)))
    meta = {"clock": args.clock, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": args.commit, "kernel": args.kernel, "rounds": rounds or 0,
            "load_before": args.load_before, "load_after": args.load_after}
    header = "=== run " + " ".join("%s=%s" % (k, shlex.quote(str(v))) for k, v in meta.items())
    with open(args.results, "a") as f:
        f.write(header + "\n")
        for line in lines:
            f.write(line + "\n")
    run = read_results(args.results)[-1]
    summarize(run)
    print("[%s] raw figures of every round: %s" % (args.clock, args.results))


def merged_by_clock(runs):
    """One Run per clock: `make bench` boots a VM per group of scripts
    (each comparison stays within one boot), all into one results file.
    Each figure comes from the last run that measured it; the boots'
    headers are kept in meta["boots"]."""
    by = {}
    for r in runs:
        by.setdefault(r.clock, []).append(r)
    out = []
    for clock in sorted(by, key=lambda c: (c not in ("icount", "real"), c != "icount", c)):
        group = by[clock]
        m = Run(dict(group[-1].meta))
        m.meta["boots"] = [g.meta for g in group]
        m.meta["rounds"] = max(int(g.meta.get("rounds") or 0) for g in group)
        commits = []
        for g in group:
            if g.meta.get("commit") not in commits:
                commits.append(g.meta.get("commit"))
        m.meta["commit"] = ", ".join(str(c) for c in commits)
        latest = {}
        for g in group:
            keys = {(r["script"], r["fig"]) for r in g.raw}
            for k in keys:
                latest[k] = g
        for g in group:
            m.raw.extend(r for r in g.raw if latest[(r["script"], r["fig"])] is g)
            m.lines.extend(g.lines)
        out.append(m)
    return out


def loads(meta):
    """The host's load average (1 min) before/after each boot."""
    boots = meta.get("boots") or [meta]
    return ", ".join("%s/%s" % (b.get("load_before", "?").split()[0], b.get("load_after", "?").split()[0])
                     for b in boots)


MAIN = [
    ("tunnel", "tcp-1-stream", "TCP, 1 stream"),
    ("tunnel", "tcp-4-streams", "TCP, 4 streams"),
    ("tunnel", "tcp-4-streams-ecn", "TCP, 4 streams, ECN negotiated"),
    ("tunnel", "udp-64B", "UDP, 64-byte payloads, unlimited rate (received)"),
    ("latency", "rtt-idle", "round trip, idle (median of 500, lost = 1 s)"),
    ("latency", "rtt-loaded", "round trip under one TCP stream (median of 100, lost = 1 s)"),
    ("handshakes", "handshakes-answered", "handshake initiations answered"),
    ("fairness", "victim-rtt-under-flood", "peer B's round trip while peer A floods UDP (median of 100, lost = 1 s)"),
    ("fairness", "victim-lost-under-flood", "peer B's requests lost while peer A floods UDP"),
    ("fairness", "victim-rtt-under-bulk", "peer B's round trip under peer A's 4 TCP streams (median of 100, lost = 1 s)"),
    ("fairness", "victim-lost-under-bulk", "peer B's requests lost under peer A's 4 TCP streams"),
    ("tunnel", "cpu-per-GB", "CPU time per GB received (system, irq, softirq)"),
    ("tunnel", "tcp-1-stream-of-cipher-limit", "1 stream / the cipher's limit"),
]

# What the table shows next to a figure: keys of its raw lines (medians).
NEXT_TO = {
    ("tunnel", "udp-64B"): [("lost", "lost")],
    ("tunnel", "tcp-1-stream"): [("ns1.Tcp.RetransSegs", "retransmitted")],
    ("tunnel", "tcp-4-streams"): [("ns1.Tcp.RetransSegs", "retransmitted")],
    ("tunnel", "tcp-4-streams-ecn"): [("ns1.Tcp.RetransSegs", "retransmitted"), ("ns2.IpExt.InCEPkts", "CE-marked")],
    ("latency", "rtt-idle"): [("lost", "lost")],
    ("latency", "rtt-loaded"): [("lost", "lost"), ("load_mbit_s", "load Mbit/s")],
    ("fairness", "victim-rtt-under-flood"): [("p99_us", "p99 us")],
    ("fairness", "victim-rtt-under-bulk"): [("p99_us", "p99 us")],
}


def cell(vals):
    med = statistics.median(vals)
    lo, hi = min(vals), max(vals)
    return "%s (%s..%s)" % (fmt(med), fmt(lo), fmt(hi))


def table(runs):
    out = []
    for run in merged_by_clock(runs):
        derive(run)
        order, by = figures(run)
        m = run.meta
        rounds = max([len(set(recs["ours"]) | set(recs["c"])) for recs in by.values()
                      if "ours" in recs and "c" in recs] or [0])
        out.append("Clock: **%s** (%s, commit %s, %d rounds per driver in ABBA order, %d boot(s); "
                   "the host's 1-minute load average before/after each boot: %s)" % (
                       run.clock, m.get("date", "?"), m.get("commit", "?"), rounds,
                       len(m.get("boots") or [m]), loads(m)))
        out.append("")
        out.append("| figure | unit | ours: median (min..max) | C driver: median (min..max) "
                   "| ours/C per round: median (worst..best) | goal | lost, dropped (median ours / C) |")
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        goals = []
        for script, fig, label in MAIN:
            recs = by.get((script, fig))
            if not recs or "ours" not in recs or "c" not in recs:
                continue
            unit = next(iter(recs["ours"].values()))["unit"]
            ours = [recs["ours"][k]["value"] for k in sorted(recs["ours"])]
            c = [recs["c"][k]["value"] for k in sorted(recs["c"])]
            g = goal_for(script, fig)
            op = g[2] if g else "ge"
            vals = compare(recs, "ours", "c", op)
            if op == "le-diff":
                ratio = "ours - C: %s (%s..%s)" % (fmt(statistics.median(vals)), fmt(min(vals)), fmt(max(vals)))
            else:
                lo, hi = (min(vals), max(vals)) if op == "ge" else (max(vals), min(vals))
                ratio = "%.3f (%.3f..%.3f)" % (statistics.median(vals), lo, hi)
            if g and run.clock in g[4]:
                v, _ = verdict(vals, g[2], g[3])
                goals.append(v)
                goal = "%s %s: **%s**" % ({"ge": ">=", "le": "<=", "le-diff": "ours - C <="}[g[2]], g[3], v)
            elif g:
                goal = "not a goal here (= 1 / TCP, 1 stream)"
            elif fig == "tcp-1-stream-of-cipher-limit":
                goal = "not a goal (= TCP, 1 stream)"
            else:
                goal = "-"
            notes = []
            for key, name in NEXT_TO.get((script, fig), []):
                a = [recs["ours"][k]["extra"].get(key) or 0 for k in recs["ours"]]
                b = [recs["c"][k]["extra"].get(key) or 0 for k in recs["c"]]
                notes.append("%s %s / %s" % (name, fmt(statistics.median(a)), fmt(statistics.median(b))))
            for key, name in (("wg2.rx_dropped", "rx_dropped"), ("unaccounted", "unaccounted")):
                a = [recs["ours"][k]["extra"].get(key) or 0 for k in recs["ours"]]
                b = [recs["c"][k]["extra"].get(key) or 0 for k in recs["c"]]
                if any(a) or any(b):
                    notes.append("%s %s / %s" % (name, fmt(statistics.median(a)), fmt(statistics.median(b))))
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (label, unit, cell(ours), cell(c), ratio, goal,
                                                                "; ".join(notes) or "-"))
        met = goals.count("met")
        noise = goals.count("within the noise")
        out.append("")
        out.append("`goals met %d of %d` distinct measurements under this clock (%d within the noise, %d missed)."
                   % (met, len(goals), noise, len(goals) - met - noise))
        out.append("")
        # The routing settings against our default settings.
        rows = []
        for (script, fig), recs in by.items():
            if script != "routing" or "default" not in recs:
                continue
            for d in recs:
                if d == "default":
                    continue
                vals = compare(recs, d, "default", "ge")
                if vals:
                    rows.append("| %s | %s | %.3f (%.3f..%.3f) |" % (
                        d, fig, statistics.median(vals), min(vals), max(vals)))
        if rows:
            out.append("Routing settings against our default settings (same driver, rounds in rotated order):")
            out.append("")
            out.append("| setting | figure | setting/default per round: median (min..max) |")
            out.append("| --- | --- | --- |")
            out.extend(rows)
            out.append("")
        rows = []
        for (script, fig), recs in by.items():
            if script != "netlink" or "ours" not in recs or "c" not in recs:
                continue
            vals = compare(recs, "ours", "c", "ge")
            unit = next(iter(recs["ours"].values()))["unit"]
            ours = [recs["ours"][k]["value"] for k in recs["ours"]]
            c = [recs["c"][k]["value"] for k in recs["c"]]
            rows.append("| %s | %s | %s | %s | %.3f (%.3f..%.3f) |" % (
                fig, unit, cell(ours), cell(c), statistics.median(vals), min(vals), max(vals)))
        if rows:
            out.append("A 1M-prefix table through netlink (`20-netlink-table.sh`):")
            out.append("")
            out.append("| figure | unit | ours | C driver | ours/C per round: median (min..max) |")
            out.append("| --- | --- | --- | --- | --- |")
            out.extend(rows)
            out.append("")
        insn = [l for l in run.lines if l.startswith("bench: insn-")]
        if insn:
            out.append("Instructions per unit of work (`32-insn-profile.sh`, counted exactly):")
            out.append("")
            out.append("| workload | ours | C driver | ratio |")
            out.append("| --- | --- | --- | --- |")
            for l in insn:
                kv = parse_kv(l.split()[2:])
                name = l.split()[1]
                out.append("| %s (%s) | %s | %s | %s |" % (name[len("insn-"):], kv.get("unit", ""),
                                                          fmt(num(kv.get("ours"))), fmt(num(kv.get("c"))),
                                                          kv.get("ratio", "")))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("results")
    r.add_argument("log")
    r.add_argument("--clock", default="icount")
    r.add_argument("--kernel", default="?")
    r.add_argument("--commit", default="?")
    r.add_argument("--load-before", default="?")
    r.add_argument("--load-after", default="?")
    r.add_argument("--extra", action="append")
    s = sub.add_parser("summary")
    s.add_argument("results")
    s.add_argument("--merged", action="store_true")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--update")
    args = ap.parse_args()
    if args.cmd == "record":
        record(args)
    elif args.cmd == "summary":
        runs = read_results(args.results)
        for run in merged_by_clock(runs) if args.merged else runs:
            summarize(run)
    else:
        text = table(read_results(args.results))
        if args.update:
            with open(args.update) as f:
                doc = f.read()
            begin, end = "<!-- bench-table begin -->\n", "<!-- bench-table end -->"
            i, j = doc.find(begin), doc.find(end)
            if i < 0 or j < i:
                sys.exit("%s: no bench-table markers" % args.update)
            doc = doc[:i + len(begin)] + text + doc[j:]
            with open(args.update, "w") as f:
                f.write(doc)
        else:
            sys.stdout.write(text)


if __name__ == "__main__":
    main()

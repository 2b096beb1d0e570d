#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""insn_report.py SYSTEM_MAP RESULTS_LOG DUMP_PREFIX

The instruction profile of selftests/bench/32-insn-profile.sh, on the host:
DUMP_PREFIX.N are the counts insn_count.so wrote at the guest's Nth
checkpoint (lines "VADDR INSTRUCTIONS"), RESULTS_LOG says what ran before
each checkpoint ("WGRS-INSN-MARK N LABEL UNITS UNIT SENT1 SENT2", the last
two the packets each device sent) and gives the loaded
module's symbols ("WGRS-KSYM ADDR NAME"); the kernel's come from its
System.map. Prints, for each labelled stretch, the instructions per unit of
work (all, kernel, the driver's module) and the functions above 0.5% of the
kernel's; for each workload both drivers ran, the 20 functions whose
instructions per unit differ most between them (the drivers' own code
counted as one, "[module]"), and a line

    bench: insn-WORKLOAD ours=X c=Y unit=insn/UNIT ratio=R

with a PASS or FAIL line for each stretch (one without counts fails, as
do count files that do not match the checkpoints), and last "N passed, N
failed".
"""
import bisect
import os
import sys

KERNEL_MIN = 0xFFFF800000000000


def kernel_symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    return syms


def short(name):
    """The last identifiers of a Rust v0-mangled path (others unchanged)."""
    if not name.startswith("_R"):
        return name
    words, i = [], 2
    while i < len(name):
        c = name[i]
        if c in "sB":
            # A disambiguator or a back reference: base-62 digits up to "_".
            j = name.find("_", i)
            i = len(name) if j < 0 else j + 1
        elif c.isdigit():
            j = i
            while j < len(name) and name[j].isdigit():
                j += 1
            n = int(name[i:j])
            if name[j:j + 1] == "_":
                j += 1
            words.append(name[j:j + n])
            i = j + n
        else:
            i += 1
    return "::".join(words[-3:]) if words else name


class Symbols:
    def __init__(self, kernel, module, module_name):
        table = [(a, n, "kernel") for a, n in kernel]
        table += [(a, n, module_name) for a, n in module]
        table.sort()
        self.addrs = [t[0] for t in table]
        self.table = table

    def name(self, addr):
        if addr < KERNEL_MIN:
            return ("[user]", "user")
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return ("[unknown]", "kernel")
        return (self.table[i][1], self.table[i][2])


def main():
    sysmap, log, prefix = sys.argv[1:4]
    kernel = kernel_symbols(sysmap)
    # The module's symbols: the last run of KSYM lines before a mark.
    marks, module, in_ksyms = [], [], False
    with open(log, errors="replace") as f:
        for line in f:
            parts = line.split()
            is_ksym = bool(parts) and parts[0] == "WGRS-KSYM" and len(parts) >= 3
            if is_ksym:
                if not in_ksyms:
                    module = []
                module.append((int(parts[1], 16), parts[2]))
            elif parts and parts[0] == "WGRS-INSN-MARK" and len(parts) >= 5:
                sent = tuple(int(x) for x in parts[5:7])
                marks.append((int(parts[1]), parts[2], float(parts[3]), parts[4], module, sent))
            in_ksyms = is_ksym
    passed = failed = 0
    per_unit = {}
    functions = {}
    for index, label, units, unit, mod, sent in marks:
        if label == "-":
            continue
        drv, _, work = label.partition("-")
        name = "wireguard_rs" if drv == "rs" else "wireguard"
        path = "%s.%d" % (prefix, index)
        counts = {}
        if os.path.exists(path):
            syms = Symbols(kernel, mod or [], name)
            with open(path) as f:
                for line in f:
                    a, n = line.split()
                    key = syms.name(int(a, 16))
                    counts[key] = counts.get(key, 0) + int(n)
        total = sum(counts.values())
        if total == 0 or units <= 0:
            print("FAIL: insn profile: %s counted (%s)" % (label, path))
            failed += 1
            continue
        passed += 1
        print("PASS: insn profile: %s counted" % label)
        user = sum(n for (s, o), n in counts.items() if o == "user")
        kern = total - user
        ours = sum(n for (s, o), n in counts.items() if o == name)
        # A workload may run more than once per driver (in ABBA order):
        # its figure is over all of them, its spread over each.
        per_unit.setdefault(work, {}).setdefault(drv, []).append((total, kern, ours, units, unit))
        # Functions by name across drivers (a module's own under one name).
        by_fn = functions.setdefault(work, {}).setdefault(drv, {})
        for (sym, owner), n in counts.items():
            key = "[module]" if owner == name else ("[user]" if owner == "user" else short(sym))
            by_fn[key] = by_fn.get(key, 0) + n
        functions[work][drv]["\0units"] = functions[work][drv].get("\0units", 0) + units
        print("profile insn %s: per %s %.0f instructions (kernel %.0f, module %.0f = %.1f%% of kernel), %g %ss"
              % (label, unit, total / units, kern / units, ours / units, 100.0 * ours / kern, units, unit))
        if len(sent) == 2:
            print("profile insn %s: per %s %.1f packets sent by wg1, %.1f by wg2"
                  % (label, unit, sent[0] / units, sent[1] / units))
        for (sym, owner), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if owner == "user" or n * 200 < kern:
                continue
            print("profile insn %s: %5.2f%% %s%s" % (label, 100.0 * n / kern, short(sym),
                                                    "" if owner == "kernel" else " [%s]" % owner))
        for (sym, owner), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if owner == name and n * 1000 >= kern:
                print("profile insn %s: module %5.2f%% %s" % (label, 100.0 * n / kern, short(sym)))
    # Where the two drivers' instructions differ most, per unit of work.
    for work, d in functions.items():
        if "rs" not in d or "c" not in d:
            continue
        rs = {k: v / d["rs"]["\0units"] for k, v in d["rs"].items() if k != "\0units"}
        c = {k: v / d["c"]["\0units"] for k, v in d["c"].items() if k != "\0units"}
        diff = {k: rs.get(k, 0) - c.get(k, 0) for k in set(rs) | set(c)}
        for k, v in sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:20]:
            print("profile insn diff %s: %+.0f %s (ours %.0f, c %.0f)" % (work, v, k, rs.get(k, 0), c.get(k, 0)))
    for work, d in per_unit.items():
        if "rs" in d and "c" in d:
            for i, part in ((0, ""), (1, "-kernel"), (2, "-module")):
                # Over all passes, and each pass on its own.
                rs = sum(p[i] for p in d["rs"]) / sum(p[3] for p in d["rs"])
                c = sum(p[i] for p in d["c"]) / sum(p[3] for p in d["c"])
                each = lambda runs: ",".join("%.0f" % (p[i] / p[3]) for p in runs)
                print("bench: insn-%s%s ours=%.0f c=%.0f unit=insn/%s ratio=%.4f passes-ours=%s passes-c=%s"
                      % (work, part, rs, c, d["rs"][0][4], rs / c if c else 0, each(d["rs"]), each(d["c"])))
    # Every checkpoint wrote one file
    dumps = 0
    while os.path.exists("%s.%d" % (prefix, dumps)):
        dumps += 1
    # (init's last sync and reboot's write more, after the last mark).
    if dumps < len(marks):
        print("FAIL: insn profile: %d count files for %d checkpoints" % (dumps, len(marks)))
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

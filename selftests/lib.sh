# SPDX-License-Identifier: GPL-2.0
# Helpers for the in-VM tests. Each test script sources this file and calls
# `check NAME CMD...` or `result PASS|FAIL NAME`.

RS_KO=/modules/wireguard-rs.ko
C_KO=/modules/wireguard.ko

result() { # result PASS|FAIL name
	echo "WGRS-RESULT $1 $2"
	# init.sh compares this count with the lines the host reads.
	[ -n "${WGRS_COUNT:-}" ] && echo "$1" >> "$WGRS_COUNT"
	return 0
}

# check NAME CMD...: PASS if CMD succeeds, else FAIL with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		result PASS "$name"
	else
		result FAIL "$name"
		printf '%s\n' "$out" | sed 's/^/    /' | head -n 20
	fi
}

# check_fails NAME CMD...: PASS if CMD fails.
check_fails() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then result FAIL "$name"; else result PASS "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		result PASS "$1"
	else
		result FAIL "$1"
		printf '    expected: %s\n    actual:   %s\n' "$2" "$3"
	fi
}

# hex BASE64: the bytes of a base64 string (a key) in hex, for wgnl.
hex() { echo "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }

loaded() { [ -d "/sys/module/$1" ]; }
load_rs() { insmod "$RS_KO" "$@"; }
load_c() { insmod "$C_KO"; }

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
	local n=$(( $1 * 5 ))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# listen_bg FILE CMD...: start the receiver CMD (xfer.py, wgpkt.py) in the
# background, its output in FILE, and wait until it printed "listening"
# there; its pid is then in LISTEN_PID. Python starts slowly under
# emulation on a loaded machine: a sender started before that would be
# refused. FILE is emptied first, here: the background shell truncates it
# only when it gets to run, and an old "listening" must not be read.
listen_bg() {
	local f=$1
	shift
	: > "$f"
	"$@" > "$f" 2>&1 &
	LISTEN_PID=$!
	wait_for 120 grep -q listening "$f" && return 0
	echo "the receiver did not start listening in 120 s:"; cat "$f"
	return 1
}

# Back to a clean slate between test scripts.
# An rmmod that fails is a FAIL of WHO (init.sh passes the script's name):
# the module is still in use. So is one that has not returned after 120 s:
# a device reference never given back makes the kernel wait for ever in
# rmmod (printing "unregister_netdevice: waiting for DEV to become free",
# which the log scan also reports); then the unload is abandoned (the
# process cannot be killed) and cleanup_all returns 1.
cleanup_all() {
	local ns m pid rc who=${1:-${WGRS_SCRIPT:-cleanup}}
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do ip netns del "$ns"; done
	for m in wireguard_rs wireguard wgrs_harness_check; do
		loaded $m || continue
		rmmod $m > /tmp/rmmod.out 2>&1 &
		pid=$!
		if ! wait_for 120 sh -c "! kill -0 $pid 2>/dev/null"; then
			result FAIL "$who: rmmod $m returns (still waiting after 120 s)"
			return 1
		fi
		wait $pid
		rc=$?
		[ $rc = 0 ] || { result FAIL "$who: rmmod $m after the script (status $rc: $(cat /tmp/rmmod.out))"; }
	done
	return 0
}

# log_since_start: the kernel's log records since this script started
# (init.sh marks the log before each script; nothing ever clears it).
log_since_start() { kmsg since "${WGRS_MARK:-0}"; }

# kunit_run KO [ARGS...]: load KO, whose KUnit suites run as it loads
# (KUnit's module notifier; KTAP in the kernel log), and print each test
# case as "suite.case ok|not-ok|skip" from that KTAP. A case that KUnit
# reports "ok ... # SKIP" is "skip", not "ok".
kunit_run() {
	local mark
	mark=$(kmsg next)
	insmod "$@" || return 1
	kmsg since "$mark" | sed 's/^<[0-7]>//' | awk '
		/^    # Subtest: / { suite = $3; next }
		/^    ok [0-9]+ / && suite != "" {
			print suite "." $3 (/ # SKIP/ ? " skip" : " ok"); next }
		/^    not ok [0-9]+ / && suite != "" { print suite "." $4 " not-ok"; next }
		/^ok [0-9]+ |^not ok [0-9]+ / { suite = "" }'
}

# kunit_results PREFIX FILE: one result per line of kunit_run's output:
# PASS only for "ok"; a failed or skipped case is a FAIL.
kunit_results() {
	local name status
	while read -r name status; do
		case $status in
		ok) result PASS "$1: $name";;
		skip) result FAIL "$1: $name was skipped";;
		*) result FAIL "$1: $name";;
		esac
	done < "$2"
}

# Comparisons with the C driver. A test defines `steps`, printing one
# "label|command|expected" line per step, and a recorder RUN taking KIND and
# OUTFILE that creates wg0 of KIND, runs the steps and writes one
# "label|what was seen" line per step. EXPECTED is what our driver's record
# must show after "label|", whatever the C driver did, so that both drivers
# wrong alike still fails: the whole of it, or its first fields ("ok|DUMP"
# matches "ok|DUMP|SHOWCONF"). A step expected to fail says so there, with
# its error as the recorder writes it (record_config: "failed: " and what
# wg(8) printed, e.g. "failed: Unable to modify interface: Address already
# in use").

# c_compare: whether the C driver's side of comparisons runs. Not on the
# debug kernel: the normal kernel's run compares the same sources with the
# C driver, and the sanitizers are there for our driver, whose side (with
# every absolute check) runs on both kernels.
c_compare() { [ "${WGRS_FLAVOR:-}" != debug ]; }
# no_c_note WHAT: what a test left out for that, said once in its output.
no_c_note() { echo "    NOTE: $1: no C driver comparison on the ${WGRS_FLAVOR:-?} kernel (made on normal)"; }

# both_drivers RUN NAME: RUN on our module (into /tmp/rs.txt), then (where
# c_compare) on the C driver (into /tmp/c.txt), each loaded only for its
# turn. Without the C driver's turn /tmp/c.txt does not exist.
both_drivers() {
	rm -f /tmp/rs.txt /tmp/c.txt
	load_rs || { result FAIL "$2: module loads"; return 1; }
	"$1" wireguard-rs /tmp/rs.txt || result FAIL "$2: our device"
	rmmod wireguard_rs
	c_compare || return 0
	load_c || { result FAIL "$2: C driver loads"; return 1; }
	"$1" wireguard /tmp/c.txt || result FAIL "$2: the C driver's device"
	rmmod wireguard
}

# record_of FILE LABEL: what the step LABEL recorded in FILE (after
# "LABEL|"), or "(no record)".
record_of() {
	awk -v l="$2" 'index($0, l "|") == 1 { print substr($0, length(l) + 2); f = 1; exit }
		END { if (!f) print "(no record)" }' "$1"
}

# same_steps NAME WHAT: each step's record of ours must hold its expectation
# ("NAME: LABEL: as expected"), and, where the C driver ran, be the C
# driver's ("NAME: LABEL: WHAT"). A step with no expectation is a FAIL, and
# so is one that failed on both drivers alike when it was not expected to.
same_steps() {
	[ -e /tmp/c.txt ] || no_c_note "$1"
	steps | while IFS='|' read -r label _ expect; do
		ours=$(record_of /tmp/rs.txt "$label")
		if [ -z "$expect" ]; then
			result FAIL "$1: $label: the step has no expected result"
		else
			case $ours in
			"$expect"|"$expect|"*) result PASS "$1: $label: as expected";;
			*) result FAIL "$1: $label: as expected"
				printf '    expected: %s\n    actual:   %s\n' "$expect" "$ours";;
			esac
		fi
		[ -e /tmp/c.txt ] || continue
		theirs=$(record_of /tmp/c.txt "$label")
		if [ "$theirs" = "$ours" ] && step_failed "$ours" && ! step_failed "$expect"; then
			result FAIL "$1: $label: $2 (it failed on both drivers, and is not expected to fail)"
			printf '    both: %s\n' "$ours"
		else
			check_eq "$1: $label: $2" "$theirs" "$ours"
		fi
	done
	sed 's/^/    ours: /' /tmp/rs.txt | cut -c1-200
}
# step_failed RECORD: the record is of a command that failed.
step_failed() {
	case $1 in failed*|"command failed"*|error*|refused*) return 0;; esac
	return 1
}

# record_config KIND OUT: the usual recorder, for steps that are shell
# commands on wg0: after each, "ok|DUMP|SHOWCONF" (the dump and showconf on
# one line each, tabs as spaces), or "failed: " and what the command printed
# on stderr.
record_config() {
	ip link add wg0 type "$1" || return 1
	steps | while IFS='|' read -r label cmd _; do
		if err=$(eval "$cmd" 2>&1 >/dev/null); then
			echo "$label|ok|$(wg show wg0 dump | tr '\t\n' '  ' | sed 's/ *$//')|$(wg showconf wg0 | tr '\n' ' ' | sed 's/ *$//')"
		else
			echo "$label|failed: $(printf '%s' "$err" | tr '\n' ' ' | sed 's/ *$//')"
		fi
	done > "$2"
	ip link del wg0
}

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

# Back to a clean slate between test scripts (init.sh runs it after each,
# a script may too): every namespace deleted, the devices made in the
# initial one deleted, every module the tests load unloaded. What that
# cannot undo is a FAIL of WHO (init.sh passes the script's name; else
# WGRS_SCRIPT): objects in the slab caches named wgrs_* once no device and
# no namespace is left (counted before unloading, while our module's
# caches exist: see "Leak accounting" below), an rmmod that fails (the
# module is still in use), and a deletion or an rmmod that has not
# returned after the hang timeout, 120 s (a device reference never given
# back makes the kernel wait for ever, printing "unregister_netdevice:
# waiting for DEV to become free" every 10 s, which the log scan also
# reports): then what hung is abandoned (it cannot be killed), nothing
# more is tried, and cleanup_all returns 1 (init.sh then runs no further
# script: the scripts left count as never run).
cleanup_all() {
	local who=${1:-${WGRS_SCRIPT:-cleanup}} n d boot=" " devs="" m rc
	timeouts
	for n in /run/netns/*; do [ -e "$n" ] && ip netns del "${n##*/}"; done
	if [ -f "$WGRS_BOOT/devices" ]; then
		while read -r d; do boot="$boot$d "; done < "$WGRS_BOOT/devices"
		for d in /sys/class/net/*; do
			d=${d##*/}
			case $boot in *" $d "*) ;; *) [ "$d" = "*" ] || devs="$devs $d";; esac
		done
		if [ -n "$devs" ]; then
			bounded "$who" "deleting the devices it left ($devs )" \
				sh -c 'for d; do ip link del "$d" 2>/dev/null; done; true' sh $devs
			[ $? != 124 ] || return 1
		fi
		if loaded wireguard_rs; then
			for m in wgrs_allowedips_node4 wgrs_allowedips_node6; do
				[ -e "/sys/kernel/slab/$m" ] ||
					result FAIL "$who: the module's slab cache $m is listed under its own name (a kernel that merges caches hides it)"
			done
		fi
		# The devices of deleted namespaces go when the kernel dismantles
		# them, in a work item; their trie nodes a grace period later.
		if ! wait_caches_empty "$settle"; then
			result FAIL "$who: no objects left in the slab caches wgrs_* once no device is left"
			sed 's/^/    /' /tmp/wgrs-caches
		fi
	fi
	for m in wireguard_rs wireguard wgrs_harness_check; do
		loaded "$m" || continue
		bounded "$who" "rmmod $m" rmmod "$m"
		rc=$?
		case $rc in
		0) ;;
		124) return 1;;
		*) result FAIL "$who: rmmod $m after the script (status $rc: $(cat /tmp/wgrs-bounded.txt))";;
		esac
	done
	return 0
}

# log_since_start: the kernel's log records since this script started
# (init.sh marks the log before each script; nothing ever clears it).
log_since_start() { kmsg since "${WGRS_MARK:-0}"; }

# The module's object lines (loaded with log_objects=1) since the script
# started, for leak checks: every peer or keypair created must be
# destroyed once.
# objects: those lines as "DEV: Peer|Keypair N created|destroyed".
objects() {
	log_since_start | sed -nE 's/^<[0-7]>wireguard_rs: ([^ ]+ (Peer|Keypair) [0-9]+) (created|destroyed)( .*)?$/\1 \3/p'
}
# open_objects [KIND]: the objects (of KIND, Peer or Keypair, if given)
# created and not destroyed exactly once, one a line.
open_objects() {
	objects | awk -v kind="${1:-}" 'kind == "" || $2 == kind { k = $1 " " $2 " " $3; o[k] += ($4 == "created") ? 1 : -1 }
		END { for (k in o) if (o[k] != 0) print k, (o[k] > 0 ? "created, never destroyed" : "destroyed, never created") }'
}
no_open_objects() { [ -z "$(open_objects "$@")" ]; }
# created KIND: how many objects of KIND were created.
created() { objects | awk -v k="$1" '$2 == k && $4 == "created"' | wc -l; }

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

# ---------------------------------------------------------------------
# Leak accounting (init.sh, around every script, and cleanup_all): what a
# script leaves behind that cleaning up cannot remove. kmemleak (debug
# kernel only) reports about half of single leaked objects; these counts
# are exact, on both kernels:
#
#   namespaces N       struct net objects (slab cache net_namespace): the
#                      network namespaces not yet dismantled, named or not,
#                      whoever holds them (a process, a mount, a reference
#                      a module took), and those whose memory is kept; the
#                      initial one is not counted (it is static)
#   netns NAME         a named namespace
#   device NS/NAME     a network device of a named namespace, or of the
#                      initial one (NS "init")
#   module NAME        a loaded module
#   slab CACHE N       objects in use in a slab cache named wgrs_* (the
#                      module's AllowedIPs nodes; the self-check module's)
#
# A slab cache counts an object freed into a CPU's sheaf, or into KASAN's
# quarantine, as in use until the cache's sysfs "shrink" is written, which
# returns them (objects freed with kfree_rcu sit in a sheaf that the flush
# hands to RCU: counted until a grace period later; counts are awaited,
# never read once). The test kernels do not merge slab caches
# (CONFIG_SLAB_MERGE_DEFAULT is unset, as if booted with slab_nomerge):
# cleanup_all fails if our caches are not listed under their own names, as
# a kernel that merges them with others would.
#
# The kernel frees a dismantled namespace's memory only in the next round
# of dismantling (cleanup_net's net_complete_free()), so the namespaces of
# the last round stay counted until another one is dismantled. The count
# is therefore taken with one namespace of the harness's own last in line:
# init.sh dismantles one at boot, and while the count is above the one
# before the script, the accounting dismantles another (netns_flush, at
# most once a second, so that each gets a round of its own), whose round
# frees what the rounds before it kept. A namespace that is never
# dismantled, or whose memory is kept, stays counted. (listns(2) would not
# do: it lists only the namespaces a process or a mount holds, not one a
# kernel reference keeps.)

# What init.sh records at boot: the devices of the initial namespace.
WGRS_BOOT=${WGRS_BOOT:-/tmp/wgrs-boot}

# The accounting runs after every script, and under the debug kernel each
# process the shell starts costs a fifth of a second: its common path uses
# the shell's own globs, reads and tests, and functions that set variables
# rather than print into a command substitution.

# timeouts: set $settle and $hang, how long (seconds) the accounting waits
# for what is freed late, and for a deletion or rmmod to return (60, 120).
# A script may shorten both for the cleanup and accounting after it, by
# writing "SETTLE HANG" to /tmp/wgrs-timeouts (the self-check does, to
# prove these checks without waiting minutes); init.sh removes it before
# each script.
timeouts() {
	settle=60 hang=120
	[ ! -f /tmp/wgrs-timeouts ] || read -r settle hang < /tmp/wgrs-timeouts
}
settle_timeout() { timeouts; echo "$settle"; }

# uptime_cs: set $now to the guest's uptime in hundredths of a second.
uptime_cs() {
	read -r now _ < /proc/uptime
	now=${now%.*}${now#*.}
}

# init_devices: the devices of the initial namespace (init's sysfs is
# mounted there), one name a line.
init_devices() {
	local d
	for d in /sys/class/net/*; do [ -e "$d" ] && echo "${d##*/}"; done
}

# slab_count CACHE: set $count to the objects in use in CACHE (fails if
# there is no such cache). Freed objects still in its sheaves or in KASAN's
# quarantine are returned first if any are counted (that costs under
# KASAN: it walks the quarantine).
slab_count() {
	count=
	[ -e "/sys/kernel/slab/$1/objects" ] || return 1
	read -r count _ < "/sys/kernel/slab/$1/objects"
	[ "$count" != 0 ] || return 0
	echo 1 > "/sys/kernel/slab/$1/shrink"
	read -r count _ < "/sys/kernel/slab/$1/objects"
}
slab_in_use() { slab_count "$1" && echo "$count"; }

# netns_count: struct net objects in use (see "Leak accounting").
netns_count() { slab_in_use net_namespace; }

# netns_flush: dismantle a namespace of the harness's own, whose round
# frees the memory of the namespaces the rounds before it dismantled.
netns_flush() { ip netns add wgrs-flush && ip netns del wgrs-flush; }

# wait_netns_count N SECS: wait until at most N struct net objects are in
# use, dismantling a namespace of our own once a second meanwhile.
wait_netns_count() {
	local end flushed=0
	uptime_cs
	end=$((now + $2 * 100))
	while slab_count net_namespace && [ "$count" -gt "$1" ]; do
		uptime_cs
		[ "$now" -lt $end ] || return 1
		if [ $((now - flushed)) -ge 100 ]; then
			netns_flush
			flushed=$now
		fi
		sleep 0.1
	done
}

# wait_caches_empty SECS: wait until no object is in use in a slab cache
# named wgrs_*; the last counts are in /tmp/wgrs-caches.
wait_caches_empty() {
	local end c left
	uptime_cs
	end=$((now + $1 * 100))
	while :; do
		left=
		for c in /sys/kernel/slab/wgrs_*; do
			slab_count "${c##*/}" || continue
			[ "$count" = 0 ] || left="$left${c##*/} $count objects
"
		done
		[ -n "$left" ] || return 0
		printf '%s' "$left" > /tmp/wgrs-caches
		uptime_cs
		[ "$now" -lt $end ] || return 1
		sleep 0.1
	done
}

# proc_state PID: set $state to the state letter of a process (R, S, D,
# Z...); fails once it is gone.
proc_state() {
	state=
	[ -e "/proc/$1/stat" ] || return 1
	{ read -r state < "/proc/$1/stat"; } 2>/dev/null || return 1
	state=${state##*) }
	state=${state%% *}
}

# bounded WHO WHAT CMD...: run CMD (its output in /tmp/wgrs-bounded.txt)
# and return its status; if it has not returned after $hang seconds
# (timeouts), a FAIL for WHO, CMD is left running, and the status is 124.
bounded() {
	local who=$1 what=$2 pid end
	shift 2
	timeouts
	uptime_cs
	end=$((now + hang * 100))
	"$@" > /tmp/wgrs-bounded.txt 2>&1 &
	pid=$!
	while proc_state $pid && [ "$state" != Z ]; do
		uptime_cs
		if [ "$now" -ge $end ]; then
			result FAIL "$who: $what returns within ${hang}s (still running, state $state)"
			return 124
		fi
		sleep 0.1
	done
	wait $pid
}

# leak_state: set $leaks to the accounting's lines (see above).
leak_state() {
	local n d m c
	slab_count net_namespace
	leaks="namespaces $count
"
	for c in /sys/kernel/slab/wgrs_*; do
		slab_count "${c##*/}" && leaks="${leaks}slab ${c##*/} $count
"
	done
	for d in /sys/class/net/*; do
		[ -e "$d" ] && leaks="${leaks}device init/${d##*/}
"
	done
	for n in /run/netns/*; do
		[ -e "$n" ] || continue
		n=${n##*/}
		leaks="${leaks}netns $n
$(ip -n "$n" -o link show | awk -F': ' -v ns="$n" '{ sub(/@.*/, "", $2); print "device " ns "/" $2 }')
"
	done
	for m in /sys/module/*/refcnt; do
		[ -e "$m" ] || continue
		m=${m%/refcnt}
		leaks="${leaks}module ${m##*/}
"
	done
}

# leak_growth BEFORE AFTER: what grew from one leak_state to the next (as
# files): a count that went up, a line that is new.
leak_growth() {
	awk 'function counted() { return $1 == "namespaces" || $1 == "slab" }
		function key() { return $1 == "slab" ? $1 " " $2 : $1 }
		NR == FNR { if (counted()) n[key()] = $NF; else seen[$0] = 1; next }
		counted() {
			k = key()
			if (!(k in n)) print k ": new, " $NF " objects"
			else if ($NF + 0 > n[k] + 0) print k ": " n[k] " before, " $NF " after"
			next
		}
		!($0 in seen) { print $0 ": new" }' "$1" "$2"
}

# leak_check NAME BEFORE: a PASS if nothing grew since BEFORE (a leak_state
# taken before the script NAME ran), waiting up to $settle seconds for what
# is freed late (namespaces are dismantled in a work item, RCU callbacks
# free objects a grace period on); else a FAIL. Leaves $leaks as it found
# them last.
leak_check() {
	local end flushed=0
	timeouts
	uptime_cs
	end=$((now + settle * 100))
	while :; do
		leak_state
		# Nothing changed (the usual case) needs no comparison.
		[ "$leaks" != "$2" ] || { result PASS "$1: leaves no namespace, device, module or slab object behind"; return 0; }
		printf '%s' "$2" > /tmp/wgrs-leak-before
		printf '%s' "$leaks" > /tmp/wgrs-leak-after
		leak_growth /tmp/wgrs-leak-before /tmp/wgrs-leak-after > /tmp/wgrs-leak-growth
		[ -s /tmp/wgrs-leak-growth ] || { result PASS "$1: leaves no namespace, device, module or slab object behind"; return 0; }
		uptime_cs
		[ "$now" -lt $end ] || break
		# More namespaces counted: those of the script's last round may
		# only await another round.
		if grep -q '^namespaces:' /tmp/wgrs-leak-growth && [ $((now - flushed)) -ge 100 ]; then
			netns_flush
			flushed=$now
		fi
		sleep 0.1
	done
	result FAIL "$1: leaves no namespace, device, module or slab object behind"
	sed 's/^/    /' /tmp/wgrs-leak-growth
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guests of selftests/interop.sh. As PID 1 (/interop/guest.sh, booted
# with rdinit=) it runs one guest; with arguments it is one step that the
# driving guest runs on either guest ("guest.sh wgup 4 1").
#
# Kernel command line: wgrs.vm=1|2 wgrs.driver=c|rs (this guest's module)
# wgrs.peerdriver=c|rs wgrs.flavor=FLAVOR wgrs.deadline=SECONDS
# wgrs.cpus=N (the vCPUs it was given) wgrs.rounds=all|1 (1: only the first
# round, for interop.sh --break-key).
#
# Each guest writes its results to ttyS1 in the protocol of
# selftests/init.sh (one "script", interop-vmN-DRIVER, framed and counted),
# away from the kernel's console on ttyS0.
#
# vm1 drives: it waits for vm2, runs every step on both guests (on vm2
# through rexec.py over the plain network) and prints the results as
# "WGRS-RESULT PASS|FAIL ..." lines. vm2 serves vm1's commands until vm1
# stops it or its deadline passes. Each guest then unloads its module and
# checks its own kernel log.
#
# Addresses of vmN (N = 1, 2):
#   eth0 (virtio-net, the QEMU dgram link)  192.0.2.N/24       2001:db8::N/64
#   wg0  (the tunnel, port 51820)           198.51.100.N/24    2001:db8:100::N/64
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
. /tests/lib.sh

# As PID 1, the command line needs /proc first.
[ -r /proc/cmdline ] || mount -t proc proc /proc
arg() { sed -n "s/.*wgrs\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
vm=$(arg vm)
other=$((3 - vm))
driver=$(arg driver)
kind=wireguard; [ "$driver" = rs ] && kind=wireguard-rs
REXEC_PORT=7000
TCP_BYTES=2097152

# ---- steps, run on either guest ----

# wgup OUTER(4|6) PSK(0|1): a new wg0 (no session) whose peer is the other
# guest, reached over its outer IPv4 or IPv6 address.
wgup() {
	ep=192.0.2.$other; [ "$1" = 6 ] && ep="[2001:db8::$other]"
	psk=""; [ "$2" = 1 ] && psk="preshared-key /interop/psk"
	ip link del wg0 2>/dev/null
	ip link add wg0 type $kind &&
	wg set wg0 private-key /interop/key listen-port 51820 peer "$(cat /interop/peer.pub)" $psk \
		allowed-ips 198.51.100.$other/32,2001:db8:100::$other/128 endpoint "$ep:51820" &&
	ip addr add 198.51.100.$vm/24 dev wg0 &&
	ip addr add 2001:db8:100::$vm/64 dev wg0 nodad &&
	ip link set wg0 up
}

# hs_recent: the latest handshake is within the last minute of this
# guest's own clock.
hs_recent() {
	h=$(wg show wg0 latest-handshakes | cut -f 2) now=$(date +%s)
	echo "latest handshake $h, clock $now"
	[ "${h:-0}" -gt $((now - 60)) ] && [ "$h" -le $((now + 5)) ]
}

# tcp_recv PORT: a receiver in the background, ready when this returns.
tcp_recv() {
	rm -f /tmp/tcp.recv
	timeout 120 xfer.py tcp-recv "$1" > /tmp/tcp.recv 2>&1 &
	wait_for 20 grep -q listening /tmp/tcp.recv || { cat /tmp/tcp.recv; return 1; }
}

# tcp_result: what the receiver got, once it is done (up to 60 s).
tcp_result() {
	wait_for 60 grep -q '^bytes' /tmp/tcp.recv
	grep '^bytes' /tmp/tcp.recv || cat /tmp/tcp.recv
}

# ---- the driving guest (vm1) ----

# on VM CMD [TIMEOUT]: run the shell command CMD on guest VM (killed after
# TIMEOUT s, default 60); its output and status.
on() {
	if [ "$1" = "$vm" ]; then
		timeout "${3:-60}" sh -c "$2"
	else
		python3 /interop/rexec.py run "192.0.2.$1" $REXEC_PORT "${3:-60}" "$2"
	fi
}
drv() { if [ "$1" = "$vm" ]; then echo "$driver"; else arg peerdriver; fi; }
# field VM N: field N of the peer line of `wg show wg0 dump` on guest VM
# (3 endpoint, 5 latest handshake, 6 rx bytes, 7 tx bytes).
field() { on "$1" "wg show wg0 dump" | sed -n 2p | cut -f "$2"; }
outer() { if [ "$1" = 4 ]; then echo "192.0.2.$2"; else echo "[2001:db8::$2]"; fi; }

both_up() { on 1 "/interop/guest.sh wgup $1 $2" && on 2 "/interop/guest.sh wgup $1 $2"; }

# expected BYTES SEED: the sha256 of xfer.py's stream, computed here, away
# from any network.
expected() {
	python3 -c 'import hashlib, sys; sys.path.insert(0, "/usr/bin"); import xfer
h = hashlib.sha256()
for c in xfer.stream(int(sys.argv[1]), int(sys.argv[2])): h.update(c)
print(h.hexdigest())' "$1" "$2"
}

# tally BYTES UNIT: "N K" when BYTES is N handshake messages of UNIT bytes
# (1 to 3), one 128-byte data packet and K 32-byte keepalives (0 to 4).
tally() {
	n=1
	while [ $n -le 3 ]; do
		k=0
		while [ $k -le 4 ]; do
			[ $(($2 * n + 128 + 32 * k)) = "$1" ] && { echo "$n $k"; return 0; }
			k=$((k + 1))
		done
		n=$((n + 1))
	done
	return 1
}

# bytes_ok "RX TX" RXUNIT TXUNIT SECONDS: a peer's counters after the first
# ping. Initiation 148 and response 92 bytes; an 84-byte ICMP echo is padded
# to 96 and gets 32 bytes of header and tag: 128. So the initiator has
# "220 276" and the responder "276 220", exactly, when the ping and the
# reading of the counters took under 4 s. Slower (the debug kernel under
# load), the timers may have added what the protocol adds then: a handshake
# retransmitted after 5 s, a keepalive 10 s after data arrived. Then the
# bytes must still be whole messages of the right kinds: initiations only
# from the initiator, responses only from the responder, one data packet
# each way, and keepalives.
bytes_ok() {
	set -- $1 $2 $3 $4
	echo "rx $1 tx $2 after $5 s"
	if [ "$5" -lt 4 ]; then
		[ $3 = 92 ] && [ "$1 $2" = "220 276" ] && return 0
		[ $3 = 148 ] && [ "$1 $2" = "276 220" ] && return 0
		return 1
	fi
	rx=$(tally "$1" $3) && tx=$(tally "$2" $4) || return 1
	echo "slow: rx $rx, tx $tx (handshake messages, keepalives)"
}

# tcp FROM TO ADDR SEED: TCP_BYTES from guest FROM to ADDR on guest TO; both
# the sender's and the receiver's hash must be the expected one.
tcp() {
	want=$(expected $TCP_BYTES "$4")
	# No tunnel, no transfer: fail now rather than after TCP's timeouts.
	on "$1" "ping -c 1 -W 5 $3" > /dev/null || { echo "no tunnel: $3 does not answer ping"; return 1; }
	on "$2" "/interop/guest.sh tcp_recv 5001" || return 1
	sent=$(on "$1" "xfer.py tcp-send $3 5001 $TCP_BYTES $4" 100)
	got=$(on "$2" "/interop/guest.sh tcp_result" 90)
	echo "expected: sha256 $want"
	echo "sender:   $sent"
	echo "receiver: $got"
	[ "$sent" = "sha256 $want" ] && [ "$got" = "bytes $TCP_BYTES sha256 $want" ]
}

# round OUTER(4|6) PSK(0|1) INITIATOR(1|2): fresh devices on both guests;
# the initiator's first ping makes the handshake; then pings both ways over
# both inner families and a TCP transfer each way.
round() {
	i=$3 r=$((3 - $3))
	di=$(drv $i) dr=$(drv $r)
	p="interop: vm1 $(drv 1) + vm2 $(drv 2), outer IPv$1"
	[ "$2" = 1 ] && p="$p with psk"
	p="$p, vm$i ($di) initiates"
	check "$p: wg0 set up on both guests" both_up "$1" "$2"
	check_eq "$p: fresh devices: no handshake yet" "0 0" "$(field 1 5) $(field 2 5)"
	t0=$(date +%s)
	check "$p: first ping $di -> $dr completes the handshake" on $i "ping -c 1 -W 10 198.51.100.$r"
	ci=$(on $i "wg show wg0 transfer" | cut -f 2,3 | tr '\t' ' ')
	cr=$(on $r "wg show wg0 transfer" | cut -f 2,3 | tr '\t' ' ')
	el=$(($(date +%s) - t0))
	check "$p: initiator $di rx/tx bytes (response + reply / initiation + echo)" \
		bytes_ok "$ci" 92 148 $el
	check "$p: responder $dr rx/tx bytes (initiation + echo / response + reply)" \
		bytes_ok "$cr" 148 92 $el
	check "$p: $di's latest handshake is recent" on $i "/interop/guest.sh hs_recent"
	check "$p: $dr's latest handshake is recent" on $r "/interop/guest.sh hs_recent"
	check_eq "$p: $di sees $dr's endpoint" "$(outer $1 $r):51820" "$(field $i 3)"
	check_eq "$p: $dr sees $di's endpoint" "$(outer $1 $i):51820" "$(field $r 3)"
	check "$p: ping $di -> $dr inner IPv6" on $i "ping -c 2 -W 5 2001:db8:100::$r"
	check "$p: ping $dr -> $di inner IPv4" on $r "ping -c 2 -W 5 198.51.100.$i"
	check "$p: ping $dr -> $di inner IPv6" on $r "ping -c 2 -W 5 2001:db8:100::$i"
	seed=$((seed + 1))
	check "$p: TCP 2 MiB $di -> $dr inner IPv4" tcp $i $r 198.51.100.$r $seed
	seed=$((seed + 1))
	check "$p: TCP 2 MiB $dr -> $di inner IPv6" tcp $r $i 2001:db8:100::$i $seed
}

drive() {
	name="interop: vm1 $driver + vm2 $(arg peerdriver)"
	# vm2 boots at the same time: wait for its address, then its commands
	# (a debug guest on a loaded host was seen to need more than 300 s).
	local boot=300
	[ "$(arg flavor)" = debug ] && boot=900
	if ! wait_for $boot ping -c 1 -W 1 192.0.2.2 || ! wait_for 60 on 2 true; then
		result FAIL "$name: vm2 answers on the network"
		return
	fi
	result PASS "$name: vm2 answers on the network"
	check "$name: vm2 answers over IPv6" wait_for 30 ping -c 1 -W 1 2001:db8::2
	seed=0
	round 4 0 1
	[ "$(arg rounds)" = 1 ] && return
	round 4 1 2
	round 6 1 1
	round 6 0 2
	check "$name: wg0 deleted on both guests" both_down
}
both_down() { on 1 "ip link del wg0" && on 2 "ip link del wg0"; }

# ---- PID 1 ----

finish() {
	check "interop: vm$vm $driver: rmmod after the test" rmmod $([ "$driver" = rs ] && echo wireguard_rs || echo wireguard)
	if [ -e /sys/kernel/debug/kmemleak ]; then
		sleep 6  # kmemleak only reports objects older than 5 s
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		# Its report is the file's content (debugfs files have size 0).
		cat /sys/kernel/debug/kmemleak > /tmp/kmemleak.txt
		if [ -s /tmp/kmemleak.txt ]; then
			result FAIL "interop: vm$vm $driver: kmemleak finds no leaks"
			head -n 60 /tmp/kmemleak.txt | sed "s/^/    /"
		else
			result PASS "interop: vm$vm $driver: kmemleak finds no leaks"
		fi
	fi
	# The whole kernel log, whatever the console's level (as init.sh).
	kmsg since 0 > /tmp/log.txt
	lrc=$?
	if grep -E -f /tests/kernel-reports.txt /tmp/log.txt > /tmp/bad.txt || [ $lrc != 0 ]; then
		result FAIL "interop: vm$vm $driver: kernel log has no reports"
		sed 's/^/    dmesg: /' /tmp/bad.txt | head -n 20
		tail -n 120 /tmp/log.txt | sed 's/^/    dmesg: /'
	else
		result PASS "interop: vm$vm $driver: kernel log has no reports"
	fi
	echo "WGRS-END interop-vm$vm-$driver rc=0 results=$(wc -l < "$WGRS_COUNT") secs=$(( $(date +%s) - t_start ))"
	echo WGRS-DONE
	sync
	reboot -f
}

pid1() {
	echo
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev 2>/dev/null
	mount -t tmpfs tmp /tmp
	mount -t tmpfs run /run
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	# Results go to ttyS1, framed and counted as selftests/init.sh does.
	exec >/dev/ttyS1 2>&1
	export WGRS_COUNT=/tmp/wgrs-results
	: > "$WGRS_COUNT"
	t_start=$(date +%s)
	echo "WGRS-SCRIPTS 1"
	echo "WGRS-BEGIN interop-vm$vm-$driver"
	echo "== interop guest vm$vm, driver $driver"
	check_eq "interop: vm$vm: all $(arg cpus) vCPUs the VM was given are online" "$(arg cpus)" "$(nproc)"
	ip link set lo up
	# Handshakes wait for the random generator to be seeded.
	head -c 1 /dev/random > /dev/null
	if [ -e /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		echo clear > /sys/kernel/debug/kmemleak
	fi
	if [ "$driver" = rs ]; then load_rs; else load_c; fi
	rc=$?
	check_eq "interop: vm$vm $driver: module loads" 0 $rc
	[ $rc = 0 ] || finish
	ip addr add 192.0.2.$vm/24 dev eth0
	ip addr add 2001:db8::$vm/64 dev eth0 nodad
	ip link set eth0 up
	if [ "$vm" = 1 ]; then
		drive
		python3 /interop/rexec.py run 192.0.2.2 $REXEC_PORT 10 __stop__ > /dev/null
	else
		# Also stops when vm1 has sent nothing for 5 minutes (it died).
		python3 /interop/rexec.py serve $REXEC_PORT "$(arg deadline)" 300
		check_eq "interop: vm2 $driver: vm1 stopped it before the deadline" 0 $?
	fi
	finish
}

case ${1:-pid1} in
pid1|wgup|hs_recent|tcp_recv|tcp_result) cmd=${1:-pid1}; [ $# -gt 0 ] && shift; $cmd "$@";;
*) echo "usage: $0 [wgup OUTER PSK | hs_recent | tcp_recv PORT | tcp_result]" >&2; exit 2;;
esac

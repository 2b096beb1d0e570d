#!/bin/sh
# A device deleted while the namespace it was created in exits (issue 26,
# defect 2). The tunnel's devices are created in ns0 and live in ns1 and
# ns2; each round deletes wg1 in the background as ns0 is deleted, under
# traffic. The exit hook of ns0 used to find wg1 while its destructor ran,
# after the core's last check of its references, and turn its carrier off:
# linkwatch then held a reference to a device being freed (KASAN, or the
# refcount tracker's report, on the debug kernel). Every round must leave
# nothing behind (the module's peer lines) and raise no kernel report (the
# harness's log scan).
. /tests/lib.sh
. /tests/tunnel.inc
rounds=20
[ "${WGRS_FLAVOR:-}" = debug ] && rounds=8
load_rs log_objects=1 || { result FAIL "creating-netns-exit: module loads"; exit 1; }

# no_wg1: wg1 is gone from ns1.
no_wg1() { ! ip -n ns1 link show wg1 > /dev/null 2>&1; }

r=0 up=0 flowed=0 gone=0
while [ $r -lt $rounds ]; do
	r=$((r + 1))
	tunnel_up wireguard-rs || { result FAIL "creating-netns-exit: topology, round $r"; break; }
	up=$((up + 1))
	# Traffic through the tunnel as the two deletions start: a ping,
	# whose answer proves the tunnel works, then pings back to back.
	$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null && flowed=$((flowed + 1))
	$n1 ping -A -w 3 192.168.241.2 > /dev/null 2>&1 &
	pinger=$!
	ip -n ns1 link del wg1 &
	deleter=$!
	ip netns del ns0
	wait $deleter
	kill $pinger 2>/dev/null
	wait $pinger 2>/dev/null
	wait_for 10 no_wg1 && gone=$((gone + 1))
	tunnel_down
done
check_eq "creating-netns-exit: $rounds rounds set up" $rounds $up
check_eq "creating-netns-exit: the tunnel carried a ping in each round (the barrier)" $rounds $flowed
check_eq "creating-netns-exit: wg1 deleted in each round" $rounds $gone
wait_for 60 no_open_objects Peer
if no_open_objects Peer; then
	result PASS "creating-netns-exit: every peer created was destroyed"
else
	result FAIL "creating-netns-exit: every peer created was destroyed"
	open_objects Peer | sort | head -n 10 | sed 's/^/    /'
fi
check "creating-netns-exit: the module unloads (within 60 s)" timeout 60 rmmod wireguard_rs

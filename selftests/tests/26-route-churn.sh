#!/bin/sh
# A routing daemon's churn under peer-select route-gateway: 10,000 routes
# via peers (10.100.0.0/24 .. 10.139.15.0/24) added, moved to the other
# peer, moved again (every other one back), and removed, with `ip -batch`,
# on n1, then three more rounds of that, while two continuous UDP flows
# run to prefixes whose routes never change (10.50.0.0/24 via n2,
# 10.51.0.0/24 via n3). Not one datagram of
# those flows may be lost or refused, the churned routes must take effect
# (a churned prefix's datagrams reach the peer its route names after each
# phase, and none after removal) and the device's AllowedIPs stay exactly
# as they were: routes are only read by the driver.
#
# Three nodes n1..n3, devices wgN created in ns0 (their UDP sockets meet
# on its loopback), each peered with the other two, AllowedIPs only the
# tunnel addresses 10.0.0.N/32, fd00::N/128.
#
# The debug kernel (10 to 50 times slower under emulation) churns 500
# routes instead of 10,000, with one more round instead of three (2,000
# took 490 s there at half a host core); the results' names say how many.
. /tests/lib.sh
T=route-churn
NODES="1 2 3"
R=10000
# Rounds of the four batches after the checked one, for longer churn.
MORE=3
[ "${WGRS_FLAVOR:-}" = debug ] && R=500 MORE=1

head -c 1 /dev/random > /dev/null

cat > /tmp/churn.py <<'EOF'
"""UDP helpers of 26-route-churn.sh.

  serve PORT ADDR...           log "got LOCAL SRC DATA" per datagram
  flow-send STOPFILE PORT DST...
                               numbered datagrams to each DST in turn, one
                               every 10 ms, until STOPFILE exists; print
                               "sent DST N errors E" per DST
  flow-recv PORT ADDR          count the numbered datagrams; on SIGTERM print
                               "received N max M"
  probe DST PORT TAG           5 datagrams "TAG-i" (errors ignored)
"""
import os, select, signal, socket, sys, time


def serve(port, *addrs):
    socks = []
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, int(port)))
        socks.append(s)
    print("listening", flush=True)
    while True:
        for s in select.select(socks, [], [])[0]:
            data, peer = s.recvfrom(65536)
            print("got %s %s %s" % (s.getsockname()[0], peer[0], data.decode()), flush=True)


def flow_send(stop, port, *dsts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = {d: 0 for d in dsts}
    errors = {d: 0 for d in dsts}
    while not os.path.exists(stop):
        for d in dsts:
            try:
                s.sendto(sent[d].to_bytes(4, "big") + b"x" * 60, (d, int(port)))
                sent[d] += 1
            except OSError:
                errors[d] += 1
            time.sleep(0.01)
    for d in dsts:
        print("sent %s %d errors %d" % (d, sent[d], errors[d]), flush=True)


class Stop(Exception):
    pass


def flow_recv(port, addr):
    def stop(*_):
        raise Stop()
    signal.signal(signal.SIGTERM, stop)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind((addr, int(port)))
    seen = set()
    print("listening", flush=True)
    try:
        while True:
            seen.add(int.from_bytes(s.recv(65536)[:4], "big"))
    except Stop:
        pass
    print("received %d max %d" % (len(seen), max(seen, default=-1)), flush=True)


def probe(dst, port, tag):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(5):
        try:
            s.sendto(b"%s-%d" % (tag.encode(), i), (dst, int(port)))
        except OSError:
            pass
        time.sleep(0.05)


if __name__ == "__main__":
    {"serve": serve, "flow-send": flow_send, "flow-recv": flow_recv,
     "probe": probe}[sys.argv[1]](*sys.argv[2:])
EOF

# mesh_up: n1..n3 with our devices, created in ns0.
mesh_up() {
	local i j pk peers
	ip netns add ns0 || return 1
	ip -n ns0 link set lo up
	for i in $NODES; do
		ip netns add n$i || return 1
		ip -n n$i link set lo up
		ip -n ns0 link add wg$i type wireguard-rs || return 1
		ip -n ns0 link set wg$i netns n$i || return 1
		(umask 077; wg genkey > /tmp/ck$i)
		eval "P$i=\$(wg pubkey < /tmp/ck$i)"
	done
	for i in $NODES; do
		peers=""
		for j in $NODES; do
			[ $j = $i ] && continue
			eval "pk=\$P$j"
			peers="$peers peer $pk allowed-ips 10.0.0.$j/32,fd00::$j/128 endpoint 127.0.0.1:1000$j"
		done
		ip netns exec n$i wg set wg$i private-key /tmp/ck$i listen-port 1000$i $peers || return 1
		ip -n n$i addr add 10.0.0.$i/24 dev wg$i || return 1
		ip -n n$i addr add fd00::$i/64 dev wg$i nodad || return 1
		ip -n n$i link set wg$i up || return 1
	done
}

PIDS=""
teardown() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=""
	for i in $NODES; do ip netns del n$i 2>/dev/null; done
	ip netns del ns0 2>/dev/null
	return 0
}
trap teardown EXIT

r1() { ip -n n1 "$@"; }

# where TAG: how many datagrams tagged TAG n2 and n3 got: "n2:5 n3:0".
where() { echo "n2:$(grep -c " $1-[0-9]*\$" /tmp/srv.n2) n3:$(grep -c " $1-[0-9]*\$" /tmp/srv.n3)"; }
where_is() { [ "$(where "$1")" = "$2" ]; }
# probe NAME DST TAG EXPECTED: 5 datagrams from n1 to DST reach n2 and n3
# as EXPECTED.
probe() {
	ip netns exec n1 python3 /tmp/churn.py probe "$2" 7200 "$3"
	sleep 1
	wait_for 10 where_is "$3" "$4"
	check_eq "$1" "$4" "$(where "$3")"
}
# churned: "VIA_N2 VIA_N3": how many of the churned prefixes n1 routes via
# each peer.
churned() {
	r1 route show | awk '$1 ~ /^10\.1[0-3][0-9]\./ { n[$3]++ }
		END { print n["10.0.0.2"] + 0, n["10.0.0.3"] + 0 }'
}
# batch FILE: run it on n1, timed.
batch() {
	local t0=$(date +%s) rc
	r1 -batch "$1"
	rc=$?
	echo "$(basename "$1" .batch) $(($(date +%s) - t0)) s" >> /tmp/batch-times
	return $rc
}

load_rs || { result FAIL "$T: module loads"; exit 1; }
mesh_up || { result FAIL "$T: the mesh"; exit 1; }
ip netns exec n1 wgrs set wg1 peer-select route-gateway || { result FAIL "$T: wgrs set"; exit 1; }
# The steady prefixes, and the first two churned ones, held by n2 and n3.
ip -n n2 addr add 10.50.0.1/32 dev lo
ip -n n3 addr add 10.51.0.1/32 dev lo
for i in 2 3; do
	ip -n n$i addr add 10.100.0.1/32 dev lo
	ip -n n$i addr add 10.100.1.1/32 dev lo
done
r1 route add 10.50.0.0/24 via 10.0.0.2 dev wg1
r1 route add 10.51.0.0/24 via 10.0.0.3 dev wg1

for i in 2 3; do
	check "$T: n1 pings n$i" ip netns exec n1 ping -c 1 -W 10 10.0.0.$i
	listen_bg /tmp/srv.n$i ip netns exec n$i python3 /tmp/churn.py serve 7200 10.100.0.1 10.100.1.1 ||
		{ result FAIL "$T: probe server on n$i"; exit 1; }
	PIDS="$PIDS $LISTEN_PID"
done
listen_bg /tmp/recv.n2 ip netns exec n2 python3 /tmp/churn.py flow-recv 7100 10.50.0.1 ||
	{ result FAIL "$T: flow receiver on n2"; exit 1; }
R2=$LISTEN_PID
listen_bg /tmp/recv.n3 ip netns exec n3 python3 /tmp/churn.py flow-recv 7100 10.51.0.1 ||
	{ result FAIL "$T: flow receiver on n3"; exit 1; }
R3=$LISTEN_PID
PIDS="$PIDS $R2 $R3"

allowed_before=$(ip netns exec n1 wg show wg1 allowed-ips)
routes_before=$(r1 route show)

# The batches: route i is 10.(100 + i / 256).(i % 256).0/24.
awk -v r=$R 'BEGIN { for (i = 0; i < r; i++) {
	p = sprintf("10.%d.%d.0/24", 100 + int(i / 256), i % 256)
	print "route add " p " via 10.0.0.2 dev wg1" > "/tmp/add.batch"
	print "route replace " p " via 10.0.0.3 dev wg1" > "/tmp/move.batch"
	print "route replace " p " via 10.0.0." (i % 2 ? 3 : 2) " dev wg1" > "/tmp/mix.batch"
	print "route del " p > "/tmp/del.batch"
} }'

# The steady flows start, and churn follows.
rm -f /tmp/stop /tmp/batch-times
ip netns exec n1 python3 /tmp/churn.py flow-send /tmp/stop 7100 10.50.0.1 10.51.0.1 > /tmp/sent.txt 2>&1 &
S=$!
PIDS="$PIDS $S"
sleep 2
t0=$(date +%s)
check "$T: $R routes added via n2" batch /tmp/add.batch
check_eq "$T: ... n1 routes $R prefixes via n2" "$R 0" "$(churned)"
probe "$T: ... a churned prefix goes via n2" 10.100.0.1 p-add "n2:5 n3:0"
check "$T: $R routes moved to n3 (ip route replace)" batch /tmp/move.batch
check_eq "$T: ... n1 routes $R prefixes via n3" "0 $R" "$(churned)"
probe "$T: ... the churned prefix goes via n3" 10.100.0.1 p-move "n2:0 n3:5"
check "$T: every other route moved back to n2" batch /tmp/mix.batch
check_eq "$T: ... n1 routes half via each" "$((R / 2)) $((R / 2))" "$(churned)"
probe "$T: ... an even prefix goes via n2" 10.100.0.1 p-mix0 "n2:5 n3:0"
probe "$T: ... an odd one via n3" 10.100.1.1 p-mix1 "n2:0 n3:5"
check "$T: $R routes removed" batch /tmp/del.batch
check_eq "$T: ... none left" "0 0" "$(churned)"
probe "$T: ... the removed prefix reaches no peer" 10.100.0.1 p-del "n2:0 n3:0"
more() {
	local n
	for n in $(seq $MORE); do
		for b in add move mix del; do batch /tmp/$b.batch || { echo "round $n: $b failed"; return 1; }
		done
	done
}
check "$T: $MORE more rounds of adding, moving and removing them" more
check_eq "$T: ... none left" "0 0" "$(churned)"
echo "    churn of $R routes took $(($(date +%s) - t0)) s:" $(cat /tmp/batch-times)
sleep 2
touch /tmp/stop
wait $S
sleep 2
kill $R2 $R3
wait $R2 $R3
cat /tmp/sent.txt /tmp/recv.n2 /tmp/recv.n3 | sed 's/^/    /'

# No loss: what each receiver got is every number the sender sent.
flow() { # flow DST RECVFILE: "sent N errors E received N max N-1"
	local sent
	sent=$(sed -n "s/^sent $1 //p" /tmp/sent.txt)
	set -- $sent $(sed -n 's/^received //p' "$2")
	echo "sent ${1:-?} errors ${3:-?} received ${4:-?} max ${6:-?}"
}
for f in "10.50.0.1 n2" "10.51.0.1 n3"; do
	set -- $f
	got=$(flow $1 /tmp/recv.$2)
	n=$(echo "$got" | cut -d' ' -f2)
	check "$T: the steady flow to $1 (via $2) ran through the churn ($n datagrams)" test "${n:-0}" -ge 200
	check_eq "$T: ... and lost nothing" "sent $n errors 0 received $n max $((${n:-0} - 1))" "$got"
done
check_eq "$T: n1 refused nothing and dropped nothing on receive" "0" \
	"$(r1 -s link show wg1 | awk '/RX:/ { getline; print $3 + $4 }')"
check_eq "$T: n1 had no transmit errors" "0" \
	"$(r1 -s link show wg1 | awk '/TX:/ { getline; print $3 + $4 }')"

check_eq "$T: n1's AllowedIPs are untouched" "$allowed_before" "$(ip netns exec n1 wg show wg1 allowed-ips)"
check "$T: ... and not empty" test "$(echo "$allowed_before" | wc -l)" = 2
check_eq "$T: n1's routes are as before the churn" "$routes_before" "$(r1 route show)"

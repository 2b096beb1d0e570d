#!/bin/sh
# source-check route while the routes it reads change under it (issue 26,
# defects 3 and 4). wg2 checks each received packet's source against the
# route back to it; that route is changed in a loop while datagrams flow
# from wg1:
#   IPv4: 192.168.241.1/32 via a nexthop group of wg2 and two dummies,
#         replaced by a group of wg2 alone and back (a walk of the paths
#         that sees the group shrink used to dereference a missing path);
#   IPv6: fd00::1/128 as a multipath route (siblings) over wg2 and a
#         dummy, deleted and added back (a walk of the siblings anchored
#         on a deleted route used to never end).
# No kernel report may follow (the harness's log scan), the datagrams
# must have reached wg2 during the churn, and the tunnel still carries a
# ping once the routes are plain again.
. /tests/lib.sh
. /tests/tunnel.inc
T=source-check-churn
secs=20
[ "${WGRS_FLAVOR:-}" = debug ] && secs=15
load_rs || { result FAIL "$T: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "$T: topology"; exit 1; }
check "$T: a ping crosses first" $n1 ping -c 1 -W 10 192.168.241.2
check "$T: wgrs set wg2 source-check route" $n2 wgrs set wg2 source-check route
for d in d1 d2; do ip -n ns2 link add $d type dummy && ip -n ns2 link set $d up; done
ip -n ns2 nexthop add id 1 dev wg2 &&
	ip -n ns2 nexthop add id 2 dev d1 &&
	ip -n ns2 nexthop add id 3 dev d2 &&
	ip -n ns2 nexthop add id 10 group 1/2/3 &&
	ip -n ns2 route add 192.168.241.1/32 nhid 10 ||
	result FAIL "$T: the IPv4 route back through a nexthop group"
six_route() {
	ip -n ns2 -6 route "$1" fd00::1/128 nexthop via fd00::99 dev wg2 onlink \
		nexthop via fd00::98 dev d1 onlink
}
six_route add || result FAIL "$T: the IPv6 multipath route back"

# Packets wg2 received and decrypted, passed or dropped by the check.
rx_packets() { ip -n ns2 -s link show wg2 | awk '/RX:/ { getline; print $2 + $3 + $4; exit }'; }
rx0=$(rx_packets)
# Datagrams from wg1 to wg2 (both families) until the churn ends; the
# replies that routes send into the dummies are not needed.
cat > /tmp/scc-send.py <<'EOF'
import socket, sys, time
end = time.monotonic() + float(sys.argv[1])
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
n = 0
while time.monotonic() < end:
    for s, a in ((s4, ("192.168.241.2", 9)), (s6, ("fd00::2", 9))):
        try:
            s.sendto(b"x" * 64, a)
            n += 1
        except OSError:
            pass
print("sent", n)
EOF
$n1 python3 /tmp/scc-send.py "$secs" > /tmp/scc-send.out 2>&1 &
sender=$!
end=$(( $(cut -d. -f1 /proc/uptime) + secs ))
changes=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	ip -n ns2 nexthop replace id 10 group 1
	ip -n ns2 nexthop replace id 10 group 1/2/3
	ip -n ns2 -6 route del fd00::1/128
	six_route add
	changes=$((changes + 1))
done
wait $sender
echo "    $(cat /tmp/scc-send.out); $changes rounds of route changes"
check "$T: datagrams reached wg2 during the churn" test "$(rx_packets)" -gt $((rx0 + 100))
ip -n ns2 route del 192.168.241.1/32
ip -n ns2 -6 route del fd00::1/128
check "$T: the tunnel still carries a ping" $n1 ping -c 1 -W 10 192.168.241.2
check "$T: ... over IPv6" $n1 ping -c 1 -W 10 fd00::2
tunnel_down

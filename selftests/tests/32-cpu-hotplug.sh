#!/bin/sh
# CPUs going offline and online under traffic (issue 26, defect 6): the
# per-CPU crypt workers, the peers' transmit-worker CPUs and NAPI must
# follow. cpu1 is taken offline and brought back in a loop while
# datagrams flow both ways through the tunnel; then both CPUs are online,
# the tunnel carries pings both ways, and the harness's log scan sees no
# report (the choice of a CPU used to be able to return one past the last
# when a CPU went offline in the middle of it).
. /tests/lib.sh
. /tests/tunnel.inc
T=cpu-hotplug
secs=20
[ "${WGRS_FLAVOR:-}" = debug ] && secs=15
online=/sys/devices/system/cpu/cpu1/online
[ -w $online ] || { result FAIL "$T: cpu1 can be taken offline ($online)"; exit 1; }
load_rs || { result FAIL "$T: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "$T: topology"; exit 1; }
check "$T: a ping crosses first" $n1 ping -c 1 -W 10 192.168.241.2

rx() { ip -n "$1" -s link show "$2" | awk '/RX:/ { getline; print $2; exit }'; }
rx1=$(rx ns1 wg1) rx2=$(rx ns2 wg2)
cat > /tmp/hp-send.py <<'EOF'
import socket, sys, time
end = time.monotonic() + float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while time.monotonic() < end:
    try:
        s.sendto(b"x" * 1000, (sys.argv[1], 9))
        n += 1
    except OSError:
        pass
print("sent", n)
EOF
$n1 python3 /tmp/hp-send.py 192.168.241.2 "$secs" > /tmp/hp-send1.out 2>&1 &
s1=$!
$n2 python3 /tmp/hp-send.py 192.168.241.1 "$secs" > /tmp/hp-send2.out 2>&1 &
s2=$!
end=$(( $(cut -d. -f1 /proc/uptime) + secs ))
cycles=0 bad=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	echo 0 > $online || bad=$((bad + 1))
	sleep 0.3
	echo 1 > $online || bad=$((bad + 1))
	sleep 0.3
	cycles=$((cycles + 1))
done
wait $s1 $s2
echo "    $cycles offline/online cycles of cpu1; ns1 $(cat /tmp/hp-send1.out), ns2 $(cat /tmp/hp-send2.out)"
check_eq "$T: every offline and online write succeeded" 0 $bad
check_eq "$T: both CPUs online again" 2 "$(nproc)"
check "$T: wg2 received datagrams meanwhile" test "$(rx ns2 wg2)" -gt $((rx2 + 100))
check "$T: wg1 received datagrams meanwhile" test "$(rx ns1 wg1)" -gt $((rx1 + 100))
check "$T: the tunnel carries a ping after" $n1 ping -c 1 -W 10 192.168.241.2
check "$T: ... and the other way" $n2 ping -c 1 -W 10 192.168.241.1
tunnel_down

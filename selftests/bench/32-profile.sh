#!/bin/sh
# Where the cycles go, our driver and the C driver in the same boot and the
# same topology as 30-tunnel.sh: perf samples every CPU (cpu-clock, 999 Hz;
# TCG has no hardware counters) during one TCP stream and during a 64-byte
# UDP flood, and the modules and the symbols above 0.5% and 0.4% of the samples are printed, with the
# share of each CPU's time spent in softirq, the kernel and user space
# (/proc/stat); and, for one UDP round trip at a time on an idle tunnel,
# the context switches and CPU migrations per round trip. Figures only: a profile passes if it holds samples.
. /tests/lib.sh
. /tests/tunnel.inc
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid

load() { # load PROFILE-NAME COMMAND...: profile while COMMAND runs
	name=$1; shift
	$n2 iperf3 -s -1 -p 5201 > /dev/null 2>&1 &
	sleep 0.5
	"$@" > /dev/null 2>&1 &
	load=$!
	sleep 1
	read -r _ u0 n0_ s0 i0 w0 q0 sq0 _ < /proc/stat
	perf record -q -a -F 999 -o /tmp/$name.data -- sleep 8 > /dev/null 2>&1
	read -r _ u1 n1_ s1 i1 w1 q1 sq1 _ < /proc/stat
	wait $load; wait
	all=$(( (u1 + n1_ + s1 + i1 + w1 + q1 + sq1) - (u0 + n0_ + s0 + i0 + w0 + q0 + sq0) ))
	echo "WGRS-BENCH profile $name: cpu user $(( (u1 - u0) * 100 / all ))% system $(( (s1 - s0) * 100 / all ))% softirq $(( (sq1 - sq0) * 100 / all ))% idle $(( (i1 - i0) * 100 / all ))%"
	perf report -i /tmp/$name.data --no-children --sort dso --stdio -q --percent-limit 0.5 2>/dev/null |
		awk 'NF >= 2 { print "dso", $0 }' > /tmp/$name.top
	perf report -i /tmp/$name.data --no-children --sort sym --stdio -q --percent-limit 0.4 2>/dev/null |
		awk 'NF >= 3 { $2 = ""; print }' >> /tmp/$name.top
	# Inside the driver's own module, down to 0.1%.
	perf report -i /tmp/$name.data --no-children --sort dso,sym --stdio -q --percent-limit 0.1 2>/dev/null |
		awk '$2 ~ /^\[wireguard/ { print "module", $1, $NF }' >> /tmp/$name.top
	sed "s/^/WGRS-BENCH profile $name: /" /tmp/$name.top
	check "bench: profile $name holds samples" test -s /tmp/$name.top
	rm -f /tmp/$name.data
}

rtt_stat() { # per UDP round trip on an idle tunnel: context switches,
	# migrations, and where the CPU time goes (samples of each symbol per
	# 1000 round trips; the idle loop's share is time nobody worked)
	listen_bg /tmp/echo.out $n2 xfer.py udp-echo 5203 3000 > /dev/null || return
	perf stat -a -x, -e context-switches,cpu-migrations -o /tmp/$1.stat -- \
		perf record -q -a -F 999 -o /tmp/$1.data -- \
		$n1 xfer.py udp-rtt 192.168.241.2 5203 3000 > /tmp/$1.rtt 2> /dev/null
	wait
	awk -F, -v name="$1" -v rtt="$(cat /tmp/$1.rtt)" '$3 ~ /context-switches|cpu-migrations/ {
		printf "WGRS-BENCH profile %s: %s per round trip %.2f (%s)\n", name, $3, $1 / 3000, rtt }' /tmp/$1.stat
	check "bench: profile $1 counted" grep -q context-switches /tmp/$1.stat
	perf report -i /tmp/$1.data -n --no-children --sort dso,sym --stdio -q --percent-limit 0.7 2>/dev/null |
		awk -v name="$1" 'NF >= 4 { printf "WGRS-BENCH profile %s: samples per 1000 round trips %.0f %s %s\n", name, $2 / 3, $3, $NF }'
	rm -f /tmp/$1.data
}

for drv in rs c; do
	if [ $drv = rs ]; then load_rs; kind=wireguard-rs; else load_c; kind=wireguard; fi
	tunnel_up $kind && $n1 ping -c 1 -W 10 192.168.241.2 > /dev/null
	rtt_stat $drv-rtt
	load $drv-tcp $n1 iperf3 -c 192.168.241.2 -p 5201 -t 10
	load $drv-udp64 $n1 iperf3 -c 192.168.241.2 -p 5201 -u -l 64 -b 0 -t 10
	tunnel_down
	if [ $drv = rs ]; then rmmod wireguard_rs; else rmmod wireguard; fi
done

#!/bin/sh
# An Internet-sized table loaded through netlink, into our driver and into
# the C driver in the same boot: 1M IPv4 prefixes over 1000 peers, set with
# `wg setconf`, read back with `wg show allowed-ips`, then 10,000 of them
# removed one request at a time (WGALLOWEDIP_F_REMOVE_ME, sent by wgnl).
# Prints times, their ratios and slab memory; a run passes if both drivers
# loaded the same table and removed the same prefixes.
. /tests/lib.sh
. /tests/bench.inc

# 1000 peers, 1M prefixes: 60% /24, then /22, /23, /21, /20, /16 and some
# /32s (roughly the global table's shape), random addresses (fixed seed)
# with no host bits set (wg(8) would warn about each one on the console).
awk 'function key(n,   a, s, i) {
	a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	s = ""
	for (i = 0; i < 4; i++) { s = s substr(a, n % 64 + 1, 1); n = int(n / 64) }
	return s "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA="
}
BEGIN {
	srand(42)
	# (busybox awk has no "^" without its math support)
	for (pw[0] = 1, k = 1; k <= 32; k++) pw[k] = pw[k - 1] * 2
	for (p = 0; p < 1000; p++) {
		print "[Peer]"; print "PublicKey = " key(p + 1)
		for (i = 0; i < 1000; i++) {
			r = rand()
			c = r < 0.60 ? 24 : r < 0.70 ? 22 : r < 0.80 ? 23 : r < 0.86 ? 21 : r < 0.91 ? 20 : r < 0.95 ? 16 : 32
			ip = (int(rand() * 223) + 1) * 16777216 + int(rand() * 16777216)
			ip -= ip % pw[32 - c]
			printf "AllowedIPs = %d.%d.%d.%d/%d\n", int(ip / 16777216), int(ip / 65536) % 256,
				int(ip / 256) % 256, ip % 256, c
		}
	}
}' > /tmp/table.conf

slab() { # total bytes of the slab caches whose name matches $1
	awk -v p="$1" '$1 ~ p { t += $3 * $4 } END { print t + 0 }' /proc/slabinfo 2>/dev/null
}

# remove_list: from `wg show wg0 allowed-ips` on stdin, 10 IPv4 prefixes of
# each peer as 10,000 requests for wgnl -f, each removing one prefix from
# its owner with WGALLOWEDIP_F_REMOVE_ME.
remove_list() {
	awk '{ for (i = 2; i <= NF && i <= 11; i++) {
		split($i, p, "/")
		printf "1 2:s:wg0 8:{ 0:{ 1:b64:%s 9:{ 0:{ 1:u16:2 2:ip4:%s 3:u8:%s 4:u32:1 } } } }\n", $1, p[1], p[2]
	} }'
}
# count: the prefixes in `wg show wg0 allowed-ips` output on stdin
count() { awk '{ n += NF - 1 } END { print n }'; }

# timed CMD...: runs CMD (output to /tmp/out) and prints its elapsed and
# system time in seconds; the system time is the kernel's share, mostly
# the driver's netlink handlers.
timed() {
	busybox time -p -o /tmp/time.out "$@" > /tmp/out || return 1
	awk '/^real/ { r = $2 } /^sys/ { s = $2 } END { print r, s }' /tmp/time.out
}

# run KIND TAG SLAB: prints "TAG set set-sys dump dump-sys prefixes
# slab-bytes remove remove-sys left" (times in seconds)
run() {
	ip link add wg0 type "$1" || return 1
	before=$(slab "$3")
	set=$(timed wg setconf wg0 /tmp/table.conf) || return 1
	dump=$(timed wg show wg0 allowed-ips) || return 1
	mv /tmp/out /tmp/$2.dump
	after=$(slab "$3")
	n=$(count < /tmp/$2.dump)
	remove_list < /tmp/$2.dump > /tmp/$2.remove
	rm=$(timed wgnl -f /tmp/$2.remove) || return 1
	[ "$(cat /tmp/out)" = "ok $(wc -l < /tmp/$2.remove)" ] || echo "    $2: removal: $(cat /tmp/out)" >&2
	echo "$2 $set $dump $n $((after - before)) $rm $(wg show wg0 allowed-ips | count)"
	ip link del wg0
}

# ROUNDS rounds (bench.inc), the drivers in ABBA order (timings under
# emulation vary by 10-20% from one run to the next); the ratios compare
# medians, and the host (selftests/bench/report.py) each round's pair.
: > /tmp/rs.runs; : > /tmp/c.runs
for round in $(seq 1 "$ROUNDS"); do
	for drv in $(abba "$round" rs c); do
		: > /tmp/run
		if [ $drv = rs ]; then
			load_rs && run wireguard-rs rs '^wgrs_allowedips_node' > /tmp/run; rmmod wireguard_rs
		else
			load_c && run wireguard c '^allowedips_node' > /tmp/run; rmmod wireguard
		fi
		cat /tmp/run >> /tmp/$drv.runs
		d=$([ $drv = rs ] && echo ours || echo c)
		read -r _ set set_sys dump dump_sys n slab rm rm_sys left < /tmp/run
		raw netlink "$round" $d set-1M "${set:-0}" s "sys_s=${set_sys:-0}"
		raw netlink "$round" $d dump-1M "${dump:-0}" s "sys_s=${dump_sys:-0}" "prefixes=${n:-0}"
		raw netlink "$round" $d remove-10k "${rm:-0}" s "sys_s=${rm_sys:-0}" "left=${left:-0}"
		raw netlink "$round" $d slab-bytes "${slab:-0}" bytes
	done
done
# median FILE: the per-field median of the rounds in FILE (a "TAG ..." line)
median() {
	awk '{ for (i = 2; i <= NF; i++) v[i, NR] = $i; tag = $1; nf = NF }
	END {
		printf "%s", tag
		for (i = 2; i <= nf; i++) {
			for (a = 1; a <= NR; a++) s[a] = v[i, a]
			for (a = 1; a <= NR; a++) for (b = a + 1; b <= NR; b++)
				if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
			printf " %s", s[int((NR + 1) / 2)]
		}
		print ""
	}' "$1"
}
rs=$(median /tmp/rs.runs) c=$(median /tmp/c.runs)
echo "WGRS-BENCH netlink table: fields: set s (sys s), dump s (sys s), prefixes, slab bytes, remove 10k s (sys s), prefixes left"
sed 's/^/WGRS-BENCH netlink table: round: /' /tmp/rs.runs /tmp/c.runs
echo "WGRS-BENCH netlink table: ours, median:     $rs"
echo "WGRS-BENCH netlink table: C driver, median: $c"
# ratio I: ours/C of field I (counted after the tag; each line has 10 words)
ratio() { echo "$rs $c" | awk -v i="$1" '{ printf "%.2f", ($(i + 11) > 0 ? $(i + 1) / $(i + 11) : 0) }'; }
if [ "$(echo "$rs $c" | wc -w)" -eq 20 ]; then
	echo "WGRS-BENCH netlink table: ours/C: set $(ratio 1) (sys $(ratio 2)), dump $(ratio 3) (sys $(ratio 4)), remove 10k $(ratio 7) (sys $(ratio 8)), slab bytes $(ratio 6)"
fi
check_eq "bench: $ROUNDS rounds on each driver" "$ROUNDS $ROUNDS" "$(wc -l < /tmp/rs.runs) $(wc -l < /tmp/c.runs)"
field() { echo "$1" | cut -d' ' -f"$2"; }
check_eq "bench: both drivers hold the same number of prefixes" "$(field "$c" 6)" "$(field "$rs" 6)"
check_eq "bench: 10,000 prefixes removed one by one from ours" \
	"$(( $(field "$rs" 6) - 10000 ))" "$(field "$rs" 10)"
check_eq "bench: the same prefixes left in both drivers" "$(field "$c" 10)" "$(field "$rs" 10)"

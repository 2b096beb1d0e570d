#!/bin/sh
# An Internet-sized table loaded through netlink, into our driver and into
# the C driver in the same boot: 1M IPv4 prefixes over 1000 peers, set with
# `wg setconf` and read back with `wg show allowed-ips`. Prints times,
# their ratios and slab memory; a run passes if both loaded everything.
. /tests/lib.sh

# 1000 peers, 1M prefixes: 60% /24, then /22, /23, /21, /20, /16 and some
# /32s (roughly the global table's shape), random addresses (fixed seed).
awk 'function key(n,   a, s, i) {
	a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	s = ""
	for (i = 0; i < 4; i++) { s = s substr(a, n % 64 + 1, 1); n = int(n / 64) }
	return s "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA="
}
BEGIN {
	srand(42)
	for (p = 0; p < 1000; p++) {
		print "[Peer]"; print "PublicKey = " key(p + 1)
		for (i = 0; i < 1000; i++) {
			r = rand()
			c = r < 0.60 ? 24 : r < 0.70 ? 22 : r < 0.80 ? 23 : r < 0.86 ? 21 : r < 0.91 ? 20 : r < 0.95 ? 16 : 32
			a = int(rand() * 223) + 1; b = int(rand() * 256); d = int(rand() * 256); e = int(rand() * 256)
			printf "AllowedIPs = %d.%d.%d.%d/%d\n", a, b, d, e, c
		}
	}
}' > /tmp/table.conf

now() { cut -d' ' -f1 /proc/uptime; }
slab() { # total bytes of the slab caches whose name matches $1
	awk -v p="$1" '$1 ~ p { t += $3 * $4 } END { print t + 0 }' /proc/slabinfo 2>/dev/null
}

# run KIND TAG: prints "TAG set-seconds dump-seconds prefixes slab-bytes"
run() {
	ip link add wg0 type "$1" || return 1
	before=$(slab "$3")
	t0=$(now)
	wg setconf wg0 /tmp/table.conf || return 1
	t1=$(now)
	n=$(wg show wg0 allowed-ips | awk '{ n += NF - 1 } END { print n }')
	t2=$(now)
	after=$(slab "$3")
	echo "$2 $(awk "BEGIN { print $t1 - $t0, $t2 - $t1 }") $n $((after - before))"
	ip link del wg0
}

load_rs && rs=$(run wireguard-rs rs '^wgrs_allowedips_node'); rmmod wireguard_rs
load_c && c=$(run wireguard c '^allowedips_node'); rmmod wireguard
echo "WGRS-BENCH netlink table: ours:     $rs (set s, dump s, prefixes, slab bytes)"
echo "WGRS-BENCH netlink table: C driver: $c"
set -- $rs $c
if [ $# -eq 10 ]; then
	awk -v rs_set="$2" -v rs_dump="$3" -v rs_mem="$5" -v c_set="$7" -v c_dump="$8" -v c_mem="${10}" 'BEGIN {
		printf "WGRS-BENCH netlink table: set time ours/C %.2f, dump time ours/C %.2f, slab bytes ours/C %s\n",
			rs_set / c_set, rs_dump / c_dump, c_mem > 0 ? sprintf("%.2f", rs_mem / c_mem) : "n/a"
	}'
fi
check_eq "bench: both drivers hold the same number of prefixes" "$(echo "$rs" | cut -d' ' -f4)" "$(echo "$c" | cut -d' ' -f4)"

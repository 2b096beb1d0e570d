#!/bin/sh
# An Internet-sized table loaded through netlink, into our driver and into
# the C driver in the same boot: 1M IPv4 prefixes over 1000 peers, set with
# `wg setconf`, read back with `wg show allowed-ips`, then 10,000 of them
# removed one request at a time (WGALLOWEDIP_F_REMOVE_ME, sent by wgnl).
# Prints times, their ratios and slab memory; a run passes if both drivers
# loaded the same table and removed the same prefixes.
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

# remove_list: from `wg show wg0 allowed-ips` on stdin, 10 IPv4 prefixes of
# each peer as 10,000 requests for wgnl -f, each removing one prefix from
# its owner with WGALLOWEDIP_F_REMOVE_ME.
remove_list() {
	awk '{ for (i = 2; i <= NF && i <= 11; i++) {
		split($i, p, "/")
		printf "1 2:s:wg0 8:{ 0:{ 1:b64:%s 9:{ 0:{ 1:u16:2 2:ip4:%s 3:u8:%s 4:u32:1 } } } }\n", $1, p[1], p[2]
	} }'
}
count() { wg show wg0 allowed-ips | awk '{ n += NF - 1 } END { print n }'; }

# run KIND TAG SLAB: prints "TAG set-s dump-s prefixes slab-bytes remove-s left"
run() {
	ip link add wg0 type "$1" || return 1
	before=$(slab "$3")
	t0=$(now)
	wg setconf wg0 /tmp/table.conf || return 1
	t1=$(now)
	wg show wg0 allowed-ips > /tmp/$2.dump
	t2=$(now)
	after=$(slab "$3")
	n=$(awk '{ n += NF - 1 } END { print n }' /tmp/$2.dump)
	remove_list < /tmp/$2.dump > /tmp/$2.remove
	t3=$(now)
	answer=$(wgnl -f /tmp/$2.remove)
	t4=$(now)
	[ "$answer" = "ok $(wc -l < /tmp/$2.remove)" ] || echo "    $2: removal: $answer" >&2
	echo "$2 $(awk "BEGIN { print $t1 - $t0, $t2 - $t1 }") $n $((after - before)) $(awk "BEGIN { print $t4 - $t3 }") $(count)"
	ip link del wg0
}

load_rs && rs=$(run wireguard-rs rs '^wgrs_allowedips_node'); rmmod wireguard_rs
load_c && c=$(run wireguard c '^allowedips_node'); rmmod wireguard
echo "WGRS-BENCH netlink table: ours:     $rs (set s, dump s, prefixes, slab bytes, remove 10k s, prefixes left)"
echo "WGRS-BENCH netlink table: C driver: $c"
set -- $rs $c
if [ $# -eq 14 ]; then
	awk -v rs_set="$2" -v rs_dump="$3" -v rs_mem="$5" -v rs_rm="$6" \
		-v c_set="$9" -v c_dump="${10}" -v c_mem="${12}" -v c_rm="${13}" 'BEGIN {
		printf "WGRS-BENCH netlink table: ours/C: set time %.2f, dump time %.2f, remove 10k time %.2f, slab bytes %s\n",
			rs_set / c_set, rs_dump / c_dump, rs_rm / c_rm, c_mem > 0 ? sprintf("%.2f", rs_mem / c_mem) : "n/a"
	}'
fi
check_eq "bench: both drivers hold the same number of prefixes" "$(echo "$rs" | cut -d' ' -f4)" "$(echo "$c" | cut -d' ' -f4)"
check_eq "bench: 10,000 prefixes removed one by one from ours" \
	"$(echo "$rs" | awk '{ print $4 - 10000 }')" "$(echo "$rs" | cut -d' ' -f7)"
check_eq "bench: the same prefixes left in both drivers" "$(echo "$c" | cut -d' ' -f7)" "$(echo "$rs" | cut -d' ' -f7)"

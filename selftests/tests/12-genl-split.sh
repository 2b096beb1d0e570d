#!/bin/sh
# Dumps too large for one netlink message: one peer with 150,000 allowed
# IPs, and 5,000 peers with three each (a fifth on the debug kernel) (as upstream's netns.sh does for
# the C driver). wg(8) sends them in many requests and reads them back in
# many dump parts; what it reads must be what was set, in order, and the
# same as the C driver's. Times are printed for both drivers, not checked.
. /tests/lib.sh

# A public key from a number: 43 base64 digits (the last one 0) and "=".
awk_key='function key(n,   a, s, i) {
	a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	s = ""
	for (i = 0; i < 4; i++) { s = s substr(a, n % 64 + 1, 1); n = int(n / 64) }
	return s "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="
}'

# The sizes: on the debug kernel a fifth (every allocation there is
# tracked by KASAN, kmemleak and lockdep: loading the full 150,000 took
# 170 s of the 600 a script may take); still dozens of dump parts each.
n4=100000 n6=50000 np=5000
[ "${WGRS_FLAVOR:-}" = debug ] && n4=20000 n6=10000 np=1000

# One peer, n4 + n6 prefixes: IPv4 /32s and IPv6 /128s (written as wg(8)
# prints them, so the input compares with the output).
awk -v n4=$n4 -v n6=$n6 "$awk_key"'BEGIN {
	print "[Peer]"; print "PublicKey = " key(1)
	for (i = 0; i < n4; i++)
		printf "AllowedIPs = 10.%d.%d.%d/32\n", int(i / 65536), int(i / 256) % 256, i % 256
	for (i = 0; i < n6; i++)
		printf "AllowedIPs = fd00::%x:%x/128\n", int(i / 65536) + 1, i % 65536
}' > /tmp/big.conf
# np peers, three prefixes each.
awk -v np=$np "$awk_key"'BEGIN {
	for (i = 0; i < np; i++) {
		print "[Peer]"; print "PublicKey = " key(i + 2)
		printf "AllowedIPs = 10.%d.%d.0/24, fd00:%x::/64, 172.16.%d.%d/32\n",
			int(i / 256), i % 256, i + 1, int(i / 256), i % 256
	}
}' > /tmp/many.conf

# The input as wg(8) shows it back: "key prefix" per line, in order.
expected() {
	awk '/^PublicKey/ { k = $3 }
		/^AllowedIPs/ { sub(/^AllowedIPs = /, ""); n = split($0, a, ", ");
			for (i = 1; i <= n; i++) print k " " a[i] }' "$1"
}
expected /tmp/big.conf > /tmp/big.expected
expected /tmp/many.conf > /tmp/many.expected

now() { cut -d' ' -f1 /proc/uptime; }

# The C driver's side (every comparison with it) runs on the normal kernel
# only (c_compare in lib.sh); our side, with its absolute checks, on both.
c_configs=""
c_compare && c_configs="big many"

# run KIND TAG CONFIGS: load each configuration, record what the dump gives.
run() {
	ip link add wg0 type "$1" || return 1
	for c in $3; do
		t0=$(now)
		wg setconf wg0 /tmp/$c.conf || echo "setconf failed" > /tmp/$2.$c.err
		t1=$(now)
		wg show wg0 allowed-ips | awk '{ for (i = 2; i <= NF; i++) print $1 " " $i }' > /tmp/$2.$c.got
		t2=$(now)
		wg showconf wg0 > /tmp/$2.$c.showconf
		awk -v k="$2" -v c="$c" -v a="$t0" -v b="$t1" -v d="$t2" \
			'BEGIN { printf "    %s %s: setconf %.2f s, dump %.2f s\n", k, c, b - a, d - b }'
		wg setconf wg0 /dev/null
	done
	ip link del wg0
}

load_rs || { result FAIL "split: module loads"; exit 1; }
run wireguard-rs rs "big many" || result FAIL "split: our device"
rmmod wireguard_rs
if c_compare; then
	load_c || { result FAIL "split: C driver loads"; exit 1; }
	run wireguard c "$c_configs" || result FAIL "split: the C driver's device"
	rmmod wireguard
fi

for c in big many; do
	check_fails "split: $c: setconf succeeded on our device" test -e /tmp/rs.$c.err
	check_eq "split: $c: prefixes read back ($(wc -l < /tmp/$c.expected) lines)" \
		"$(md5sum < /tmp/$c.expected)" "$(md5sum < /tmp/rs.$c.got)"
	case " $c_configs " in *" $c "*)
		check_eq "split: $c: same showconf as the C driver" \
			"$(md5sum < /tmp/c.$c.showconf)" "$(md5sum < /tmp/rs.$c.showconf)";;
	*) no_c_note "split: $c";;
	esac
done
check_eq "split: many: $np peers" $np "$(grep -c '^\[Peer\]' /tmp/rs.many.showconf)"

# A change between two parts of a dump: the parts after it are marked
# NLM_F_DUMP_INTR (wg(8) then retries), as with the C driver; a dump with
# no change in between is not marked.
intr_run() {
	ip link add wg0 type "$1" || return 1
	head -n 20002 /tmp/big.conf > /tmp/mid.conf
	wg setconf wg0 /tmp/mid.conf
	echo "quiet|$(wgnl -d 0 2:s:wg0)"
	echo "changed|$(wgnl -x 'wg set wg0 fwmark 5' -d 0 2:s:wg0)"
	echo "prefix added|$(wgnl -x "wg set wg0 peer $(sed -n 2p /tmp/mid.conf | cut -d' ' -f3) allowed-ips 10.200.0.0/16" -d 0 2:s:wg0)"
	ip link del wg0
}
load_rs && intr_run wireguard-rs > /tmp/rs.intr; rmmod wireguard_rs
sed 's/^/    ours: /' /tmp/rs.intr
if c_compare; then
	load_c && intr_run wireguard > /tmp/c.intr; rmmod wireguard
	check_eq "split: mid-dump changes are flagged as by the C driver" "$(cat /tmp/c.intr)" "$(cat /tmp/rs.intr)"
else
	no_c_note "split: mid-dump changes"
fi
check "split: a quiet dump comes in several parts, unflagged" grep -Eq '^quiet\|ok ([2-9]|[1-9][0-9]+)$' /tmp/rs.intr
check "split: a change in mid-dump is flagged" grep -q '^changed|ok [0-9]* intr$' /tmp/rs.intr
check "split: a prefix added in mid-dump is flagged" grep -q '^prefix added|ok [0-9]* intr$' /tmp/rs.intr

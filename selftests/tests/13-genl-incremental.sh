#!/bin/sh
# Incremental AllowedIPs changes with WGALLOWEDIP_F_REMOVE_ME (sent with
# wgnl: this wg(8) has no "+"/"-" syntax): remove one prefix, add another
# in the same request, try to remove a prefix owned by another peer (no
# change) or not present (no change). Run against both drivers; every
# step's answer and prefixes must be the expected ones, and the C driver's.
. /tests/lib.sh
wg genkey | wg pubkey > /tmp/p1.pub
wg genkey | wg pubkey > /tmp/p2.pub
wg genkey | wg pubkey > /tmp/p3.pub
P1=$(cat /tmp/p1.pub) P2=$(cat /tmp/p2.pub) P3=$(cat /tmp/p3.pub)
H1=$(hex "$P1") H2=$(hex "$P2") H3=$(hex "$P3")

# ip FAMILY HEXADDR CIDR [FLAGS]: one WGALLOWEDIP nest, as wgnl arguments.
ip4() { echo "0:{ 1:u16:2 2:$1 3:u8:$2 ${3:+4:u32:$3} }"; }
ip6() { echo "0:{ 1:u16:10 2:$1 3:u8:$2 ${3:+4:u32:$3} }"; }
# peer HEXKEY NESTS...: a SET_DEVICE for wg0 with one peer.
peer() { k=$1; shift; echo "1 2:s:wg0 8:{ 0:{ 1:$k 9:{ $* } } }"; }
# peerf HEXKEY FLAGS NESTS...: the same with WGPEER_A_FLAGS (1: remove me,
# 2: replace allowed IPs, 4: update only).
peerf() { k=$1 f=$2; shift 2; echo "1 2:s:wg0 8:{ 0:{ 1:$k 3:u32:$f 9:{ $* } } }"; }

# steps: "label|wgnl arguments|expected": the answer, then the prefixes
# (`wg show wg0 allowed-ips` on one line) after the step. At the start:
# P1 10.0.0.0/24 10.0.1.0/24, P2 10.0.2.0/24 fd00::/64 10.0.3.0/24.
S1="$P1 10.0.1.0/24 10.0.5.0/24 $P2 10.0.2.0/24 fd00::/64 10.0.3.0/24"
S4="$P1 10.0.1.0/24 $P2 10.0.2.0/24 fd00::/64 10.0.3.0/24"
S5="$P1 10.0.1.0/24 $P2 10.0.2.0/24 10.0.3.0/24"
S8="$P1 10.0.1.0/24 $P2 10.0.3.0/24 10.0.2.0/24"
steps() {
	cat <<STEPS
remove one prefix, add another|$(peer "$H1" "$(ip4 0a000000 24 1)" "$(ip4 0a000500 24)")|ok 0|$S1
remove another peer's prefix: no change|$(peer "$H1" "$(ip4 0a000200 24 1)")|ok 0|$S1
remove an absent prefix: no change|$(peer "$H1" "$(ip4 0a000900 24 1)")|ok 0|$S1
remove with host bits set|$(peer "$H1" "$(ip4 0a000507 24 1)")|ok 0|$S4
remove an IPv6 prefix|$(peer "$H2" "$(ip6 fd000000000000000000000000000000 64 1)")|ok 0|$S5
remove a /0 that is not there|$(peer "$H2" "$(ip4 00000000 0 1)")|ok 0|$S5
add and remove the same prefix|$(peer "$H2" "$(ip4 0a000700 24)" "$(ip4 0a000700 24 1)")|ok 0|$S5
remove then add the same prefix|$(peer "$H2" "$(ip4 0a000200 24 1)" "$(ip4 0a000200 24)")|ok 0|$S8
update-only skips an absent peer|$(peerf "$H3" 4 "$(ip4 0a000800 24)")|ok 0|$S8
update-only changes a present peer|$(peerf "$H1" 4 "$(ip4 0a000800 24)")|ok 0|$P1 10.0.1.0/24 10.0.8.0/24 $P2 10.0.3.0/24 10.0.2.0/24
replace: the list becomes the request's, in its order|$(peerf "$H1" 2 "$(ip4 0a000800 24)" "$(ip4 0a000900 24)" "$(ip4 0a000100 24)")|ok 0|$P1 10.0.8.0/24 10.0.9.0/24 10.0.1.0/24 $P2 10.0.3.0/24 10.0.2.0/24
replace with a removal inside|$(peerf "$H1" 2 "$(ip4 0a000900 24)" "$(ip4 0a000900 24 1)" "$(ip4 0a000100 24)")|ok 0|$S8
remove-me removes the peer and its prefixes|$(peerf "$H1" 1)|ok 0|$P2 10.0.3.0/24 10.0.2.0/24
one request per line, keys in base64|-f /tmp/batch.txt|ok 2|$P2 10.0.2.0/24 fd00:1::/64
STEPS
}
# For wgnl -f: a removal, then an IPv6 addition, as two requests.
cat > /tmp/batch.txt <<BATCH
1 2:s:wg0 8:{ 0:{ 1:b64:$P2 9:{ 0:{ 1:u16:2 2:ip4:10.0.3.0 3:u8:24 4:u32:1 } } } }
1 2:s:wg0 8:{ 0:{ 1:b64:$P2 9:{ 0:{ 1:u16:10 2:ip6:fd00:1:: 3:u8:64 } } } }
BATCH

run() {
	ip link add wg0 type "$1" || return 1
	wg set wg0 peer "$P1" allowed-ips 10.0.0.0/24,10.0.1.0/24 peer "$P2" allowed-ips 10.0.2.0/24,fd00::/64,10.0.3.0/24
	steps | while IFS='|' read -r label args _; do
		# shellcheck disable=SC2086
		answer=$(wgnl $args)
		echo "$label|$answer|$(wg show wg0 allowed-ips | tr '\t\n' '  ' | sed 's/ *$//')"
	done > "$2"
	ip link del wg0
}

# Each step's answer and prefixes are checked against its expectation
# (so both drivers wrong alike fails), and against the C driver's.
both_drivers run incremental || exit 1
same_steps incremental "same answer and prefixes as the C driver"

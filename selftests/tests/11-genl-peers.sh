#!/bin/sh
# Peers through wg(8): wg set with every peer option, setconf, addconf and
# syncconf, run step by step against both drivers; after every step the
# dump and showconf of our device must equal the C driver's. Then absolute
# checks, so that both drivers being wrong alike fails too.
. /tests/lib.sh
for k in dev p1 p2 p3 p4; do wg genkey > /tmp/$k.key; wg pubkey < /tmp/$k.key > /tmp/$k.pub; done
wg genpsk > /tmp/psk
P1=$(cat /tmp/p1.pub) P2=$(cat /tmp/p2.pub) P3=$(cat /tmp/p3.pub) P4=$(cat /tmp/p4.pub)
DEV=$(cat /tmp/dev.pub)

cat > /tmp/a.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/dev.key)
FwMark = 0x10

[Peer]
PublicKey = $P1
AllowedIPs = 10.1.0.0/16, fd01::/48
Endpoint = 192.0.2.1:51820

[Peer]
PublicKey = $P2
PresharedKey = $(cat /tmp/psk)
AllowedIPs = 10.2.0.0/16
PersistentKeepalive = 15

[Peer]
PublicKey = $P3
AllowedIPs = 10.3.0.0/16, 10.33.0.0/16
EOF
# syncconf target: P1 changes its prefixes, P2 goes, P3 stays, P4 comes.
cat > /tmp/b.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/dev.key)

[Peer]
PublicKey = $P1
AllowedIPs = 10.1.0.0/16, 10.11.0.0/16

[Peer]
PublicKey = $P3
AllowedIPs = 10.3.0.0/16, 10.33.0.0/16

[Peer]
PublicKey = $P4
AllowedIPs = 10.4.0.0/16
Endpoint = [2001:db8::4]:4444
EOF
cat > /tmp/c.conf <<EOF
[Peer]
PublicKey = $P2
AllowedIPs = 10.22.0.0/16
EOF

# What the dump shows: the device's line (private key, public key, listen
# port, fwmark), then per peer: public key, psk, endpoint, allowed IPs,
# latest handshake, rx bytes, tx bytes, persistent keepalive.
DK=$(cat /tmp/dev.key) PSK=$(cat /tmp/psk)
D="$DK $DEV 0 off"
DA="$DK $DEV 0 0x10"
A1="$P1 (none) 192.0.2.1:51820 10.1.0.0/16,fd01::/48 0 0 0 off"
A2="$P2 $PSK (none) 10.2.0.0/16 0 0 0 15"
A3="$P3 (none) (none) 10.3.0.0/16,10.33.0.0/16 0 0 0 off"

# steps: "label|command|expected" (run with wg0 existing); after each, the
# dump and showconf are recorded; our dump must be the expected one. As
# wg(8) sends a configuration file: each of its peers replaces its allowed
# IPs (addconf too), and setconf and syncconf set the fwmark and listen port
# (0 when the file has none).
steps() {
	cat <<STEPS
private key|wg set wg0 private-key /tmp/dev.key|ok|$D
first peer|wg set wg0 peer $P1 allowed-ips 10.0.0.0/24,fd00::/64 endpoint 192.0.2.1:51820 persistent-keepalive 25|ok|$D $P1 (none) 192.0.2.1:51820 10.0.0.0/24,fd00::/64 0 0 0 25
second peer with psk and IPv6 endpoint|wg set wg0 peer $P2 preshared-key /tmp/psk allowed-ips 10.0.1.0/24 endpoint [2001:db8::1]:1234|ok|$D $P1 (none) 192.0.2.1:51820 10.0.0.0/24,fd00::/64 0 0 0 25 $P2 $PSK [2001:db8::1]:1234 10.0.1.0/24 0 0 0 off
replace a peer's prefixes|wg set wg0 peer $P1 allowed-ips 10.0.2.0/24,fd00::/64,10.0.3.0/24|ok|$D $P1 (none) 192.0.2.1:51820 10.0.2.0/24,fd00::/64,10.0.3.0/24 0 0 0 25 $P2 $PSK [2001:db8::1]:1234 10.0.1.0/24 0 0 0 off
a prefix moves to another peer|wg set wg0 peer $P2 allowed-ips 10.0.1.0/24,10.0.2.0/24|ok|$D $P1 (none) 192.0.2.1:51820 fd00::/64,10.0.3.0/24 0 0 0 25 $P2 $PSK [2001:db8::1]:1234 10.0.1.0/24,10.0.2.0/24 0 0 0 off
host bits are masked|wg set wg0 peer $P2 allowed-ips 10.0.1.0/24,10.9.9.9/8|ok|$D $P1 (none) 192.0.2.1:51820 fd00::/64,10.0.3.0/24 0 0 0 25 $P2 $PSK [2001:db8::1]:1234 10.0.1.0/24,10.0.0.0/8 0 0 0 off
clear a psk and a keepalive|wg set wg0 peer $P2 preshared-key /dev/null peer $P1 persistent-keepalive off|ok|$D $P1 (none) 192.0.2.1:51820 fd00::/64,10.0.3.0/24 0 0 0 off $P2 (none) [2001:db8::1]:1234 10.0.1.0/24,10.0.0.0/8 0 0 0 off
new endpoint|wg set wg0 peer $P1 endpoint 198.51.100.7:7|ok|$D $P1 (none) 198.51.100.7:7 fd00::/64,10.0.3.0/24 0 0 0 off $P2 (none) [2001:db8::1]:1234 10.0.1.0/24,10.0.0.0/8 0 0 0 off
clear a peer's prefixes|wg set wg0 peer $P2 allowed-ips ''|ok|$D $P1 (none) 198.51.100.7:7 fd00::/64,10.0.3.0/24 0 0 0 off $P2 (none) [2001:db8::1]:1234 (none) 0 0 0 off
remove an unknown peer|wg set wg0 peer $P3 remove|ok|$D $P1 (none) 198.51.100.7:7 fd00::/64,10.0.3.0/24 0 0 0 off $P2 (none) [2001:db8::1]:1234 (none) 0 0 0 off
remove a peer|wg set wg0 peer $P2 remove|ok|$D $P1 (none) 198.51.100.7:7 fd00::/64,10.0.3.0/24 0 0 0 off
a peer with the device's own key is ignored|wg set wg0 peer $DEV allowed-ips 10.7.0.0/16|ok|$D $P1 (none) 198.51.100.7:7 fd00::/64,10.0.3.0/24 0 0 0 off
device key of an existing peer removes it|wg set wg0 private-key /tmp/p1.key|ok|$(cat /tmp/p1.key) $P1 0 off
back to the device key|wg set wg0 private-key /tmp/dev.key|ok|$D
setconf replaces everything|wg setconf wg0 /tmp/a.conf|ok|$DA $A1 $A2 $A3
addconf adds a peer|wg addconf wg0 /tmp/c.conf|ok|$DA $A1 $P2 $PSK (none) 10.22.0.0/16 0 0 0 15 $A3
syncconf converges|wg syncconf wg0 /tmp/b.conf|ok|$D $P1 (none) 192.0.2.1:51820 10.1.0.0/16,10.11.0.0/16 0 0 0 off $A3 $P4 (none) [2001:db8::4]:4444 10.4.0.0/16 0 0 0 off
setconf again|wg setconf wg0 /tmp/a.conf|ok|$DA $A1 $A2 $A3
STEPS
}

both_drivers record_config peers || exit 1
same_steps peers "same dump and showconf as the C driver"

# Absolute expectations on our device.
load_rs drop_in=1 || { result FAIL "peers: module loads with drop_in=1"; exit 1; }
ip link add wg0 type wireguard
wg setconf wg0 /tmp/a.conf
check_eq "peers: setconf: three peers in order" "$P1 $P2 $P3" "$(wg show wg0 peers | tr '\n' ' ' | sed 's/ $//')"
check_eq "peers: setconf: prefixes of a peer in order" "$P1	10.1.0.0/16 fd01::/48" \
	"$(wg show wg0 allowed-ips | head -n 1)"
check_eq "peers: setconf: endpoint" "$P1	192.0.2.1:51820" "$(wg show wg0 endpoints | head -n 1)"
check_eq "peers: setconf: psk" "$P2	$(cat /tmp/psk)" "$(wg show wg0 preshared-keys | sed -n 2p)"
check_eq "peers: setconf: keepalive" "$P2	15" "$(wg show wg0 persistent-keepalive | sed -n 2p)"
check_eq "peers: showconf feeds setconf back unchanged" "$(wg showconf wg0)" \
	"$(wg showconf wg0 > /tmp/round.conf && wg setconf wg0 /tmp/round.conf && wg showconf wg0)"
check_eq "peers: wg show all dump lists the device" \
	"$(wg show wg0 dump | sed 's/^/wg0	/')" "$(wg show all dump)"
wg set wg0 peer "$P3" allowed-ips 10.1.0.0/16
check_eq "peers: a prefix set on another peer moves" "$P1	fd01::/48" "$(wg show wg0 allowed-ips | head -n 1)"
wg set wg0 peer "$P1" remove
check_eq "peers: a removed peer is gone" "$P2 $P3" "$(wg show wg0 peers | tr '\n' ' ' | sed 's/ $//')"
wg set wg0 private-key /tmp/p2.key
check_eq "peers: the peer with the new device key is removed" "$P3" "$(wg show wg0 peers)"
check "peers: the device goes up and down with peers" sh -c 'ip link set wg0 up && ip link set wg0 down'
ip link del wg0
check_fails "peers: no device left" sh -c 'wg show all dump | grep -q .'
rmmod wireguard_rs
check "peers: module unloads after peers were configured" test ! -d /sys/module/wireguard_rs

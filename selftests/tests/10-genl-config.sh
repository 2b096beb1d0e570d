#!/bin/sh
# Device configuration through wg(8): private key (clamped on set, an
# all-zero key clears it) and fwmark, dumped back exactly as the C driver
# dumps them. Run the same commands against both drivers and compare.
. /tests/lib.sh
wg genkey > /tmp/k1
wg genkey > /tmp/k2
# A key with every bit set: stored and shown clamped.
echo '//////////////////////////////////////////8=' > /tmp/kff
echo 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' > /tmp/kzero

K1=$(cat /tmp/k1) K2=$(cat /tmp/k2)
PUB1=$(wg pubkey < /tmp/k1) PUB2=$(wg pubkey < /tmp/k2) PUBFF=$(wg pubkey < /tmp/kff)
# The all-ones key as stored: clamped (low 3 bits and the top bit cleared,
# bit 254 set).
KFF='+P///////////////////////////////////////38='

# steps: "label|command|expected": after each, the dump is recorded; our
# dump must be the expected one (private key, public key, listen port,
# fwmark), and the C driver's the same.
steps() {
	cat <<STEPS
private key|wg set wg0 private-key /tmp/k1|ok|$K1 $PUB1 0 off
fwmark|wg set wg0 fwmark 0x1234|ok|$K1 $PUB1 0 0x1234
fwmark off|wg set wg0 fwmark 0|ok|$K1 $PUB1 0 off
private key and fwmark at once|wg set wg0 private-key /tmp/k2 fwmark 7|ok|$K2 $PUB2 0 0x7
same key again|wg set wg0 private-key /tmp/k2|ok|$K2 $PUB2 0 0x7
all-ones key, clamped|wg set wg0 private-key /tmp/kff|ok|$KFF $PUBFF 0 0x7
all-zero key clears it|wg set wg0 private-key /tmp/kzero|ok|(none) (none) 0 0x7
key after clearing|wg set wg0 private-key /tmp/k1|ok|$K1 $PUB1 0 0x7
STEPS
}

both_drivers record_config config || exit 1
same_steps config "same dump and showconf as the C driver"

# Absolute checks, so that both being wrong alike fails too.
load_rs
ip link add wg0 type wireguard-rs
wg set wg0 private-key /tmp/k1 fwmark 0x42
check_eq "config: private key reads back" "$(cat /tmp/k1)" "$(wg show wg0 private-key)"
check_eq "config: public key is derived" "$(wg pubkey < /tmp/k1)" "$(wg show wg0 public-key)"
check_eq "config: fwmark reads back" "0x42" "$(wg show wg0 fwmark)"
check_eq "config: all-ones key is stored clamped" "$KFF" \
	"$(wg set wg0 private-key /tmp/kff && wg show wg0 private-key)"
check "config: listen port 0 (unchanged) is accepted" wg set wg0 listen-port 0
check "config: the device still goes up and down" sh -c 'ip link set wg0 up && ip link set wg0 down'
ip link del wg0

#!/bin/sh
# Clients of the genl family other than wg(8): the kernel's own YNL client
# (tools/net/ynl/pyynl/cli.py, driven by the spec our policy is generated
# from, so it encodes and decodes every attribute by the spec's types),
# pyroute2, and wg-quick(8) bringing an interface up and down from a
# configuration file.
# Each runs against both drivers and must see the same; absolute checks
# follow, so that both drivers being wrong alike fails too.
. /tests/lib.sh

ynl() { python3 /ynl/cli.py --no-schema --spec /ynl/wireguard.yaml "$@"; }
for k in dev p1 p2; do wg genkey > /tmp/$k.key; wg pubkey < /tmp/$k.key > /tmp/$k.pub; done
wg genpsk > /tmp/psk
DEVK=$(hex "$(cat /tmp/dev.key)") PSK=$(hex "$(cat /tmp/psk)")
P1=$(hex "$(cat /tmp/p1.pub)") P2=$(hex "$(cat /tmp/p2.pub)")
# A sockaddr_in for 192.0.2.1:51820, as WGPEER_A_ENDPOINT carries it.
EP=0200ca6cc0000201$(printf '0%.0s' $(seq 16))

# YNL requests: "label|cli.py arguments|expected answer"; after each, the
# dump is recorded (checked as decoded at the end, and against the C
# driver's after every step).
ynl_steps() {
	cat <<STEPS
set key, fwmark and two peers|--do set-device --json {"ifname":"wg0","private-key":"$DEVK","fwmark":7,"peers":[{"public-key":"$P1","endpoint":"$EP","persistent-keepalive-interval":25,"allowedips":[{"family":2,"ipaddr":"10.0.0.0","cidr-mask":24},{"family":10,"ipaddr":"fd00::","cidr-mask":64}]},{"public-key":"$P2","preshared-key":"$PSK","allowedips":[{"family":2,"ipaddr":"10.0.1.0","cidr-mask":24}]}]}|ok
remove one allowed IP|--do set-device --json {"ifname":"wg0","peers":[{"public-key":"$P1","allowedips":[{"family":2,"ipaddr":"10.0.0.0","cidr-mask":24,"flags":"remove-me"}]}]}|ok
replace a peer's allowed IPs|--do set-device --json {"ifname":"wg0","peers":[{"public-key":"$P2","flags":"replace-allowedips","allowedips":[{"family":2,"ipaddr":"10.0.2.0","cidr-mask":24},{"family":2,"ipaddr":"10.0.3.0","cidr-mask":24}]}]}|ok
a cidr too long is refused|--do set-device --json {"ifname":"wg0","peers":[{"public-key":"$P2","allowedips":[{"family":2,"ipaddr":"10.0.4.0","cidr-mask":33}]}]}|refused Invalid argument
remove a peer|--do set-device --json {"ifname":"wg0","peers":[{"public-key":"$P1","flags":"remove-me"}]}|ok
STEPS
}

# The dump as YNL decodes it, without the interface index (it differs
# between the two drivers' runs).
ynl_dump() {
	ynl --output-json --dbg-small-recv 4000 --dump get-device --json '{"ifname":"wg0"}' |
		python3 -c 'import json, sys
d = json.load(sys.stdin)
for m in d: m.pop("ifindex", None)
print(json.dumps(d, sort_keys=True))'
}

record_ynl() {
	ip link add wg0 type "$1" || return 1
	# The JSON is one word without spaces; no globbing of its brackets.
	set -f
	ynl_steps | while IFS='|' read -r label args _; do
		# The error's text, not the extack message (worded differently).
		# shellcheck disable=SC2086
		if out=$(ynl $args 2>&1); then r=ok; else
			r="refused $(echo "$out" | grep -o 'Invalid argument\|Operation not supported\|No such device' | head -n 1)"
		fi
		echo "$label|$r|$(ynl_dump)"
	done > "$2"
	set +f
	ip link del wg0
}

steps() { ynl_steps; }
both_drivers record_ynl ynl || exit 1
same_steps ynl "same answer and dump as the C driver"
last=$(grep '^remove a peer|' /tmp/rs.txt | cut -d'|' -f3)
check "ynl: the dump decodes to the peer left with its two prefixes" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
# Indexed arrays decode as [{"0": item}, ...].
items = lambda arr: [v for x in arr for v in x.values()]
peers = [p for m in d for p in items(m.get("peers", []))]
assert len(peers) == 1 and peers[0]["public-key"].replace(" ", "") == sys.argv[2], peers
ips = [(a["ipaddr"], a["cidr-mask"]) for a in items(peers[0]["allowedips"])]
assert ips == [("10.0.2.0", 24), ("10.0.3.0", 24)], ips
assert d[0]["fwmark"] == 7 and d[0]["listen-port"] == 0
' "$last" "$P2"

# pyroute2's WireGuard class: its own encoder (array elements numbered,
# endpoints built field by field) and decoder. STEP sets, then the device
# is printed as pyroute2 decodes it.
cat > /tmp/pr2.py <<'PY'
import sys
from base64 import b64encode
from pyroute2 import WireGuard

step, dev, p1, p2, psk = sys.argv[1:6]
wg = WireGuard()
if step == "key and first peer":
    wg.set("wg0", private_key=dev, fwmark=0x20, peer={
        "public_key": p1, "endpoint_addr": "192.0.2.1", "endpoint_port": 51820,
        "persistent_keepalive": 15, "allowed_ips": ["10.0.0.0/24", "fd00::/64"]})
elif step == "second peer, IPv6 endpoint and psk":
    wg.set("wg0", peer={
        "public_key": p2, "preshared_key": psk, "endpoint_addr": "2001:db8::1",
        "endpoint_port": 1234, "allowed_ips": ["10.0.1.0/24"]})
elif step == "replace a peer's allowed IPs":
    wg.set("wg0", peer={"public_key": p1, "replace_allowed_ips": True,
                        "allowed_ips": ["10.0.2.0/24", "10.0.3.0/24"]})
elif step == "remove a peer":
    wg.set("wg0", peer={"public_key": p2, "remove": True})

def key(nla, name):
    # get_attr gives the decoded value: the key in base64, as bytes.
    v = nla.get_attr(name)
    return v.decode() if isinstance(v, bytes) else "-" if v is None else str(v)

out = []
for msg in wg.info("wg0"):
    if msg.get_attr("WGDEVICE_A_PRIVATE_KEY") is not None:
        out.append("dev %s %s port %s fwmark %s" % (
            key(msg, "WGDEVICE_A_PRIVATE_KEY"), key(msg, "WGDEVICE_A_PUBLIC_KEY"),
            msg.get_attr("WGDEVICE_A_LISTEN_PORT"), msg.get_attr("WGDEVICE_A_FWMARK")))
    for peer in msg.get_attr("WGDEVICE_A_PEERS") or []:
        ep = peer.get_attr("WGPEER_A_ENDPOINT")
        ips = [a["addr"] for a in peer.get_attr("WGPEER_A_ALLOWEDIPS") or []]
        out.append("peer %s psk %s endpoint %s keepalive %s ips %s" % (
            key(peer, "WGPEER_A_PUBLIC_KEY"), key(peer, "WGPEER_A_PRESHARED_KEY"),
            "%s:%s" % (ep["addr"], ep["port"]) if ep else "-",
            peer.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL"), ",".join(ips)))
print(" / ".join(out))
PY
# pyroute2 steps: "label||what pr2.py prints after it" (no psk: zeros).
DK=$(cat /tmp/dev.key) DP=$(cat /tmp/dev.pub) K1=$(cat /tmp/p1.pub) K2=$(cat /tmp/p2.pub)
NOPSK="$(printf 'A%.0s' $(seq 43))="
PR_DEV="dev $DK $DP port 0 fwmark 32"
PR_P2="peer $K2 psk $(cat /tmp/psk) endpoint 2001:db8::1:1234 keepalive 0 ips 10.0.1.0/24"
pr2_steps() {
	cat <<STEPS
key and first peer||$PR_DEV / peer $K1 psk $NOPSK endpoint 192.0.2.1:51820 keepalive 15 ips 10.0.0.0/24,fd00::/64
second peer, IPv6 endpoint and psk||$PR_DEV / peer $K1 psk $NOPSK endpoint 192.0.2.1:51820 keepalive 15 ips 10.0.0.0/24,fd00::/64 / $PR_P2
replace a peer's allowed IPs||$PR_DEV / peer $K1 psk $NOPSK endpoint 192.0.2.1:51820 keepalive 15 ips 10.0.2.0/24,10.0.3.0/24 / $PR_P2
remove a peer||$PR_DEV / peer $K1 psk $NOPSK endpoint 192.0.2.1:51820 keepalive 15 ips 10.0.2.0/24,10.0.3.0/24
STEPS
}
record_pr2() {
	ip link add wg0 type "$1" || return 1
	pr2_steps | while IFS='|' read -r label _; do
		seen=$(python3 /tmp/pr2.py "$label" "$(cat /tmp/dev.key)" "$(cat /tmp/p1.pub)" \
			"$(cat /tmp/p2.pub)" "$(cat /tmp/psk)" 2>&1 | tail -n 1)
		echo "$label|$seen|$(wg show wg0 dump | tr '\t\n' '  ')"
	done > "$2"
	ip link del wg0
}
steps() { pr2_steps; }
both_drivers record_pr2 pyroute2 || exit 1
same_steps pyroute2 "same as with the C driver"

# wg-quick needs the kind "wireguard": our module with drop_in=1.
mkdir -p /etc/wireguard
cat > /etc/wireguard/wgq.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/dev.key)
Address = 10.9.0.1/24, fd09::1/64
ListenPort = 51900
MTU = 1400

[Peer]
PublicKey = $(cat /tmp/p1.pub)
AllowedIPs = 10.9.1.0/24, fd09:1::/64
Endpoint = 192.0.2.1:51820
EOF
chmod 600 /etc/wireguard/wgq.conf

# record_quick KIND OUT: wg-quick up, what it set up, wg-quick down.
record_quick() {
	{
		if wg-quick up wgq >/tmp/quick.log 2>&1; then echo "up|ok"; else echo "up|failed: $(tail -n 1 /tmp/quick.log)"; fi
		echo "showconf|$(wg showconf wgq | tr '\n' ' ')"
		echo "addresses|$(ip -o addr show dev wgq | awk '{ print $3, $4 }' | grep -v fe80 | tr '\n' ' ')"
		echo "routes|$(ip -4 route show dev wgq | tr '\n' ' ')$(ip -6 route show dev wgq | grep -v fe80 | tr '\n' ' ')"
		echo "mtu and state|$(ip -o link show dev wgq | grep -o 'mtu [0-9]*\|state [A-Z]*' | tr '\n' ' ')"
		if wg-quick down wgq >/tmp/quick.log 2>&1; then echo "down|ok"; else echo "down|failed: $(tail -n 1 /tmp/quick.log)"; fi
		echo "gone|$(ip link show wgq 2>/dev/null | wc -l)"
	} | sed 's/ *$//' > "$2"
}
# "label||expected": the configuration file's interface and peer, its
# addresses, a route for each of the peer's prefixes (and the kernel's for
# the addresses' subnets; ip(8) ends each IPv4 route with a space), the
# MTU, the device up; then gone.
steps() {
	cat <<STEPS
up||ok
showconf||[Interface] ListenPort = 51900 PrivateKey = $DK  [Peer] PublicKey = $K1 AllowedIPs = 10.9.1.0/24, fd09:1::/64 Endpoint = 192.0.2.1:51820
addresses||inet 10.9.0.1/24 inet6 fd09::1/64
routes||10.9.0.0/24 proto kernel scope link src 10.9.0.1  10.9.1.0/24 scope link  fd09::/64 proto kernel metric 256 pref medium fd09:1::/64 metric 1024 pref medium
mtu and state||mtu 1400 state UNKNOWN
down||ok
gone||0
STEPS
}
rm -f /tmp/c.txt
load_rs drop_in=1 || { result FAIL "wg-quick: module loads"; exit 1; }
record_quick wireguard /tmp/rs.txt
rmmod wireguard_rs
if c_compare; then
	load_c || { result FAIL "wg-quick: C driver loads"; exit 1; }
	record_quick wireguard /tmp/c.txt
	rmmod wireguard
fi
same_steps wg-quick "same as with the C driver"

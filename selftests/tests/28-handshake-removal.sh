#!/bin/sh
# Peers removed while their handshake initiations are being made (issue
# 26, defect 1). Each round adds a batch of peers whose persistent
# keepalive, turned on, queues a handshake initiation for each at once;
# the batch is removed again at once, last added first (its worker is the
# last to run), while the workers still contend for the device's keys.
# A worker that had checked that its peer was alive before the removal
# used to put its handshake's index entry, which holds the peer, in the
# table after the removal had cleared it: the peer, and through it the
# device, were never freed. Every peer created must be destroyed (the
# module's log_objects lines), and the module must unload.
. /tests/lib.sh
. /tests/tunnel.inc
rounds=20 per=24
[ "${WGRS_FLAVOR:-}" = debug ] && rounds=6
load_rs log_objects=1 || { result FAIL "handshake-removal: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "handshake-removal: topology"; exit 1; }

base=$(created Peer)

# The arguments of `wg set` that add round R's peers and remove them
# (random public keys: any 32 bytes make an initiation; their endpoint is
# a port nobody listens on).
python3 - "$rounds" "$per" <<'EOF'
import base64, os, sys
rounds, per = int(sys.argv[1]), int(sys.argv[2])
for r in range(rounds):
    keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(per)]
    with open("/tmp/hsr-add.%d" % r, "w") as f:
        for i, k in enumerate(keys):
            f.write("peer %s allowed-ips 10.%d.%d.1/32 endpoint 127.0.0.1:9 persistent-keepalive 25\n" % (k, 100 + r, i))
    with open("/tmp/hsr-del.%d" % r, "w") as f:
        for k in keys:
            f.write("peer %s remove\n" % k)
EOF

# Valid-mac1 initiations to wg2 meanwhile, from ns0 (until killed): the
# device's handshake work competes with the workers for the keys.
$n0 wgpkt.py flood 127.0.0.1 10002 "$P2" 600 127.0.0.2 > /tmp/hsr-flood.out 2>&1 &
flood=$!
# UDP datagrams to ports nobody listens on in ns0 (the batches'
# initiations, to port 9), for the record.
noports() { $n0 awk '/^Udp:/ { if (h) print $3; h = 1 }' /proc/net/snmp; }
np0=$(noports)
r=0 ok=0
while [ $r -lt $rounds ]; do
	# shellcheck disable=SC2046
	$n2 wg set wg2 $(cat /tmp/hsr-add.$r) &&
		$n2 wg set wg2 $(cat /tmp/hsr-del.$r) && ok=$((ok + 1))
	r=$((r + 1))
done
kill $flood 2>/dev/null
wait $flood 2>/dev/null
echo "    initiations of the batches' peers that went out: $(( $(noports) - np0 ))"
check_eq "handshake-removal: $rounds batches of $per peers added and removed" $rounds $ok
# The positive barrier for the absence below: the peers were made.
check "handshake-removal: $((rounds * per)) peers created (log_objects lines)" \
	test "$(($(created Peer) - base))" -ge $((rounds * per))
# The tunnel's own peers go with their devices.
tunnel_down
wait_for 60 no_open_objects Peer
if no_open_objects Peer; then
	result PASS "handshake-removal: every peer created was destroyed ($(created Peer) peers)"
else
	result FAIL "handshake-removal: every peer created was destroyed"
	open_objects Peer | sort | head -n 10 | sed 's/^/    /'
fi
check "handshake-removal: the module unloads (within 60 s)" timeout 60 rmmod wireguard_rs

#!/bin/sh
# Self-check (the leak accounting's boot): a namespace that outlives its
# deletion (the module keeps a reference to it, and unloads). The leak
# accounting after the script must report the namespace count that grew
# (waiting 3 s for it to fall, not 60).
. /tests/lib.sh
echo "3 120" > /tmp/wgrs-timeouts
ip netns add hcns
check "netns-ref: the module loads in a namespace and keeps a reference to it" \
	ip netns exec hcns insmod /modules/wgrs_harness_check.ko netns_ref=1

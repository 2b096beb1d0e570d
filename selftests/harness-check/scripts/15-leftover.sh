#!/bin/sh
# Self-check (the leak accounting's boot): a process left running that
# holds a namespace (deleting its name does not free it). init must kill
# it (a NOTE, not a FAIL) before the accounting, which must then find the
# namespace freed and PASS (without the kill it would FAIL on the
# namespace count, after the usual 60 s).
. /tests/lib.sh
ip netns add hcleft
ip netns exec hcleft sleep 1000 &
pid=$!
is_sleep() { [ "$(cat /proc/$pid/comm)" = sleep ]; }
check "leftover: a process holding a namespace is left running (sleep, in it)" wait_for 10 is_sleep

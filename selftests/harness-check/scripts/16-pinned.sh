#!/bin/sh
# Self-check: a module still in use when the script is done. Its result is
# a PASS; the unloading after the script (cleanup_all) must fail it, and
# the leak accounting after it must report the module left loaded
# (waiting 3 s for it to go, not 60). Last of its boot: the module cannot
# be loaded again.
. /tests/lib.sh
echo "3 120" > /tmp/wgrs-timeouts
check "pinned: the module loads and takes a reference to itself" insmod /modules/wgrs_harness_check.ko pin=1

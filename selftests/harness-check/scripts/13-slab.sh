#!/bin/sh
# Self-check (the leak accounting's boot): an object left in a slab cache
# named wgrs_* (the module's own caches' prefix) once no device is left.
# The module keeps it until it is unloaded; cleanup_all counts the caches
# before unloading and must report it (waiting 3 s for it to be freed, not
# 60). Once unloaded, nothing is left: the accounting after it passes.
. /tests/lib.sh
echo "3 120" > /tmp/wgrs-timeouts
check "slab: the module loads and keeps an object in its cache" insmod /modules/wgrs_harness_check.ko slab=1

#!/bin/sh
# Self-check (debug kernel): a leaked object. kmemleak, read at the end of
# the run, must report it.
. /tests/lib.sh
check "leak: the module loads and leaks" insmod /modules/wgrs_harness_check.ko leak=1
rmmod wgrs_harness_check

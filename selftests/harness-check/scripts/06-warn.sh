#!/bin/sh
# Self-check: a WARN_ON while a script runs. Its result is a PASS; the
# harness's scan of the script's kernel log must make it a FAIL. (On the
# debug kernel panic_on_warn=1 turns it into a panic: see 11-warn-fatal.)
. /tests/lib.sh
check "warn: the module loads and warns" insmod /modules/wgrs_harness_check.ko warn=1
rmmod wgrs_harness_check

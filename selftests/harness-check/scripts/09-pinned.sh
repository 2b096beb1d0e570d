#!/bin/sh
# Self-check: a module still in use when the script is done. Its result is
# a PASS; the unloading after the script (cleanup_all) must fail it.
. /tests/lib.sh
check "pinned: the module loads and takes a reference to itself" insmod /modules/wgrs_harness_check.ko pin=1

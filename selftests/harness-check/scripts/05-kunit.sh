#!/bin/sh
# Self-check: the KUnit suite of wgrs_harness_check.ko, parsed by the same
# lib.sh functions as the module's own suites: one case passes, one fails,
# one is skipped; the failure and the skip must both be FAILs.
. /tests/lib.sh
kunit_run /modules/wgrs_harness_check.ko > /tmp/kunit.txt || { result FAIL "kunit: harness module loads"; exit 1; }
kunit_results kunit /tmp/kunit.txt
rmmod wgrs_harness_check

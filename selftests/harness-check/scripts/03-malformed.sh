#!/bin/sh
# Self-check: result lines that are not well formed: a status that is
# neither PASS nor FAIL, and a line broken by what looks like kernel
# output (a printk timestamp in the middle). Each must be a FAIL.
. /tests/lib.sh
check "malformed: a good line first" true
echo "WGRS-RESULT PASSED malformed: a status that is not PASS or FAIL"
echo "WGRS-RESULT PASS malformed: a line broken[   12.345678] by kernel output"

#!/bin/sh
# Self-check control: a script that does everything right. The harness
# must report its result as PASS, and its kernel log as clean.
. /tests/lib.sh
check "control: a check that holds" true

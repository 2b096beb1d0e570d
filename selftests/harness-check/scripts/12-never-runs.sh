#!/bin/sh
# Self-check, last boot: runs after 11-fatal, so never. The harness must
# notice that it ran fewer scripts than it was given.
. /tests/lib.sh
check "never-runs: not reached" true

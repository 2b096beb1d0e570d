#!/bin/sh
# Self-check: a result the script gave that never reached the host (as if
# its line had been lost): counted by lib.sh, but not printed. The harness
# must notice that it read fewer results than the script gave.
. /tests/lib.sh
check "lost-result: a line that arrives" true
echo FAIL >> "$WGRS_COUNT"

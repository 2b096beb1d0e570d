# SPDX-License-Identifier: GPL-2.0
# Sourced by the host side of the harness (run.sh, interop.sh,
# netns-upstream.sh): counting results, and what a console shows.

# vCPUs of every test VM (QEMU's -smp); each VM checks that all came online.
WGRS_SMP=${WGRS_SMP:-2}

passed=0 failed=0
result() { # result PASS|FAIL name [reason]
	if [ "$1" = PASS ]; then passed=$((passed + 1)); echo "PASS: $2"
	else failed=$((failed + 1)); echo "FAIL: $2${3:+ ($3)}"; fi
}

# check_eq_host NAME EXPECTED ACTUAL
check_eq_host() {
	if [ "$2" = "$3" ]; then result PASS "$1"
	else result FAIL "$1" "expected $2, got $3"; fi
}

# The kernel reports that count as failures, on any console or in any log.
REPORTS_RE=$here/selftests/kernel-reports.txt

# console_reports LOG: the first report lines of a console (none: empty).
console_reports() {
	grep -anE -f "$REPORTS_RE" "$1" | head -n 20
}

# early_death LOG NAME: a kernel died before anything of the project ran
# (LOG is its console). Its reports are failures unless they are one of the
# known traces outside the module in selftests/early-boot-known.txt; a
# death with no report at all is a failure too. Returns 0 when it was a
# known trace (the caller boots again without a result), 1 after a FAIL.
early_death() {
	local log=$1 name=$2 reports known
	reports=$(console_reports "$log")
	known=$(grep -vE '^(#|$)' "$here/selftests/early-boot-known.txt")
	if [ -n "$reports" ] && [ -n "$known" ] && grep -aqE -e "$known" "$log"; then
		echo "NOTE: $name: the kernel died during boot with a known trace outside the module" \
			"(selftests/early-boot-known.txt: $(grep -aoE -e "$known" "$log" | head -n 1)); booting again"
		return 0
	fi
	result FAIL "$name: the kernel died during boot, before the tests started (log: $log)"
	if [ -n "$reports" ]; then printf '%s\n' "$reports" | sed 's/^/    /'
	else tail -n 20 "$log" | sed 's/^/    /'; fi
	return 1
}

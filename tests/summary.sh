#!/bin/sh
# Prints one line that sums the suite: every Check program's tests (from
# the "Checks: N, Failures: F, Errors: E" line in its log) and every
# other test as one (from automake's .trs files), in every directory
# below TESTDIR.  Usage: summary.sh TESTDIR
dir=${1:-tests}
find "$dir" -name '*.trs' | sort | while read -r trs; do
	log=${trs%.trs}.log
	if grep -q '^[0-9]*%: Checks: ' "$log" 2>/dev/null; then
		grep -h '^[0-9]*%: Checks: ' "$log"
	else
		grep -h '^:test-result: ' "$trs"
	fi
done | awk '
/^[0-9]+%: Checks: / {
	gsub(/,/, "")
	for (i = 1; i <= NF; i++) {
		if ($i == "Checks:") n += $(i + 1)
		if ($i == "Failures:" || $i == "Errors:") f += $(i + 1)
	}
}
/^:test-result: PASS/ { n++ }
/^:test-result: (FAIL|ERROR|XPASS)/ { n++; f++ }
END { printf "tests: %d passed, %d failed\n", n - f, f }'

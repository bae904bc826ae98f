#!/bin/sh
# Prints one line that sums the suite: every Check test (from the
# "Checks: N, Failures: F, Errors: E" lines in the logs) and every
# script test (from automake's .trs files).  Usage: summary.sh TESTDIR
dir=${1:-tests}
cat "$dir"/check_*.log 2>/dev/null | awk -v dir="$dir" '
/^[0-9]+%: Checks: / {
	gsub(/,/, "")
	for (i = 1; i <= NF; i++) {
		if ($i == "Checks:") n += $(i + 1)
		if ($i == "Failures:" || $i == "Errors:") f += $(i + 1)
	}
}
END {
	cmd = "ls " dir "/*.trs " dir "/*/*.trs 2>/dev/null | grep -v /check_ | xargs cat"
	while ((cmd | getline line) > 0) {
		if (line ~ /^:test-result: PASS/) n++
		else if (line ~ /^:test-result: (FAIL|ERROR|XPASS)/) { n++; f++ }
	}
	printf "tests: %d passed, %d failed\n", n - f, f
}'

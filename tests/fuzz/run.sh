#!/bin/sh
# Builds every fuzzer with build.sh into OUTDIR and runs each for SECONDS
# on its seed corpus (tests/fuzz/corpus/NAME, only read) and a working
# corpus it grows (OUTDIR/work/NAME).  Prints one line per fuzzer with
# its executions; exits 1 if any crashed, leaked or hung, leaving the
# input in OUTDIR/artifacts/NAME/ and the log in OUTDIR/NAME.log.
# Usage: run.sh OUTDIR SECONDS [NAME...]
set -eu

out=${1:?usage: run.sh OUTDIR SECONDS [NAME...]}
secs=${2:?usage: run.sh OUTDIR SECONDS [NAME...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ $# -eq 0 ]; then
	set -- $(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
"$here/build.sh" "$out" "$@" >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2
	echo "run.sh: the fuzzers did not build" >&2
	exit 1
}

failed=0
for name in "$@"; do
	mkdir -p "$out/work/$name" "$out/artifacts/$name"
	touch "$out/artifacts/$name.stamp"
	start=$(date +%s)
	# stdin from /dev/null: a config may name /dev/stdin as a token file.
	# -timeout: an input that takes 10 s is a hang, and a failure.
	# lsan.supp: a leak inside libjq itself (see the file).
	if LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$here/lsan.supp" \
	    "$out/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 \
	    -timeout=10 -error_exitcode=1 -timeout_exitcode=1 \
	    -artifact_prefix="$out/artifacts/$name/" \
	    "$out/work/$name" "$here/corpus/$name" \
	    </dev/null >"$out/$name.log" 2>&1; then
		status=ok
	else
		status=FAILED
		failed=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$out/$name.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -n 1 || true)
	echo "fuzz_$name: ${execs:-?} executions in $(($(date +%s) - start)) s," \
	    "${cov:-cov: ?}, $status"
	if [ $status != ok ]; then
		grep -E '^(==[0-9]+==|SUMMARY|.*runtime error)' \
		    "$out/$name.log" | head -n 20 >&2 || true
		find "$out/artifacts/$name" -type f \
		    -newer "$out/artifacts/$name.stamp" | sed 's/^/  input: /' >&2
		echo "  log: $out/$name.log" >&2
	fi
done
exit $failed

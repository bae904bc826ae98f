#!/bin/sh
# The demo: starts the bundled fake upstream (a flaky analytics API) and
# gatherd polling it, both on loopback, and prints the URLs to open.
# Usage: demo.sh BUILDDIR SRCDIR.  Ctrl-C stops both.  With DEMO_SECONDS=N
# it stops by itself after N seconds and prints the stats document.
set -eu

builddir=${1:-.}
srcdir=${2:-.}
listen=${GATHERD_LISTEN:-127.0.0.1:8080}
upstream_port=${UPSTREAM_PORT:-8081}
work=$(mktemp -d "${TMPDIR:-/tmp}/gatherd-demo.XXXXXX")
up_pid=
gd_pid=

cleanup() {
	[ -n "$gd_pid" ] && kill "$gd_pid" 2>/dev/null && wait "$gd_pid" || true
	[ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$builddir/tests/fake-upstream" -p "$upstream_port" >"$work/upstream.out" &
up_pid=$!
tries=0
until grep -q listening "$work/upstream.out" 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -gt 50 ] || ! kill -0 "$up_pid" 2>/dev/null; then
		echo "demo: the fake upstream did not start (port $upstream_port busy?)" >&2
		exit 1
	fi
	sleep 0.1
done

printf 'demo-token\n' >"$work/demo.token"
chmod 600 "$work/demo.token"
sed -e "s|@UPSTREAM@|http://127.0.0.1:$upstream_port|g" \
    -e "s|@LISTEN@|$listen|g" \
    -e "s|@WEB_ROOT@|$srcdir/web|g" \
    -e "s|@TOKEN_FILE@|$work/demo.token|g" \
    -e "s|@STATE_DIR@|$work|g" \
    "$srcdir/systemd/demo.conf.in" >"$work/gatherd.conf"
"$builddir/daemon/gatherd" -t -c "$work/gatherd.conf"
"$builddir/daemon/gatherd" -c "$work/gatherd.conf" &
gd_pid=$!

base="http://$listen"
cat <<EOT

gatherd is polling a deliberately flaky upstream (http://127.0.0.1:$upstream_port).
Open:
  $base/                    the dashboard
  $base/api/v1/stats        every source's last good values
  $base/api/v1/stats/flaky  one source
  $base/api/v1/sources      the operators' view: schedule, counters, errors
  $base/healthz             liveness
Sources: signups (healthy, bearer token), flaky (fails now and then, keeps
its last good values), slow (times out), broken-html (HTML instead of JSON),
rate-limited (HTTP 429).  Press Ctrl-C to stop.

EOT

if [ -n "${DEMO_SECONDS:-}" ]; then
	sleep "$DEMO_SECONDS"
	kill -0 "$gd_pid"
	if command -v curl >/dev/null; then
		curl -fsS "$base/api/v1/stats"
	fi
	kill "$gd_pid"
	wait "$gd_pid"
	gd_pid=
	exit 0
fi
wait "$gd_pid"

#!/bin/sh
# gatherd's benchmark: polling cost, fan-out, serving (against nginx on
# the same bytes), serving while polling, memory by source count, jq,
# templates and tokens, cluster mode (3 replicas and Redis), and
# history's memory on realistic series (tests/bench/series.js on njs).
# Everything runs on 127.0.0.1, every run is bounded in time, and each
# figure is printed as one JSON line, then a short summary.  It builds
# its own optimised copy of gatherd (a sanitizer build would measure
# the sanitizers).  Usage: run.sh SRCDIR [quick]
# BENCH_ONLY_EXTRAS, BENCH_ONLY_JQ, BENCH_ONLY_CLUSTER, BENCH_ONLY_GZIP,
# BENCH_ONLY_HISTORY, BENCH_ONLY_ROLLUP or BENCH_ONLY_FANOUT runs one
# figure, BENCH_ONLY="steady fanout gzip rollup history" those named;
# BENCH_HISTORY_SOURCES,
# BENCH_HISTORY_SECS and BENCH_HISTORY_KIND_SOURCES size the last.
set -eu

srcdir=$(cd "${1:-.}" && pwd)
mode=${2:-full}
work=$(mktemp -d "${TMPDIR:-/tmp}/gatherd-bench.XXXXXX")
pids=""
results="$work/results.jsonl"

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y --no-install-recommends "$2" >/dev/null ||
		    { apt-get update >/dev/null && apt-get install -y \
		    --no-install-recommends "$2" >/dev/null; }
	fi
	command -v "$1" >/dev/null 2>&1 ||
	    { echo "bench: $1 is missing (Debian package $2)" >&2; exit 1; }
}
need nginx nginx-light
need wrk wrk
need curl curl
need redis-server redis-server
# njs: the upstream of realistic series (tests/bench/series.js).
njs_module=/usr/lib/nginx/modules/ngx_http_js_module.so
if [ ! -f "$njs_module" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get install -y --no-install-recommends libnginx-mod-http-js >/dev/null ||
	    { apt-get update >/dev/null && apt-get install -y \
	    --no-install-recommends libnginx-mod-http-js >/dev/null; }
fi
[ -f "$njs_module" ] ||
    { echo "bench: $njs_module is missing (Debian package libnginx-mod-http-js)" >&2; exit 1; }

log() { printf 'bench: %s\n' "$*" >&2; }

# An optimised build of the tree as it is, outside the user's build.
log "building an optimised gatherd in $work/build"
mkdir -p "$work/src"
(cd "$srcdir" && git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} "$work/src" 2>/dev/null) ||
    cp -a "$srcdir/." "$work/src"
(cd "$work/src" && [ -x configure ] || autoreconf -fi >/dev/null 2>&1)
mkdir -p "$work/build"
(cd "$work/build" && "$work/src/configure" -q CFLAGS="-O2 -g" >/dev/null &&
    make -j"$(nproc)" -C lib >/dev/null && make -j"$(nproc)" -C daemon >/dev/null &&
    make -j"$(nproc)" -C tests fake-upstream >/dev/null)
gatherd="$work/build/daemon/gatherd"
fake="$work/build/tests/fake-upstream"
rawcurl="$work/build/rawcurl"
${CC:-cc} -O2 -o "$rawcurl" "$srcdir/tests/bench/rawcurl.c" \
    $(pkg-config --cflags --libs libcurl)
# The cluster's SSE latency (tests/bench/sselat.c): Redis and libcurl.
sselat="$work/build/sselat"
${CC:-cc} -O2 -o "$sselat" "$srcdir/tests/bench/sselat.c" \
    $(pkg-config --cflags --libs libcurl hiredis json-c) -lpthread
# jq's costs (tests/bench/jqbench.c) link the optimised library itself.
jqbench="$work/build/jqbench"
(cd "$work/build" && ./libtool --mode=link --tag=CC ${CC:-cc} -O2 \
    -D_GNU_SOURCE -I"$work/src/lib" $(pkg-config --cflags json-c) \
    -o "$jqbench" "$srcdir/tests/bench/jqbench.c" lib/libgatherd.la >/dev/null)

# A day of points into the state file (tests/bench/rollfill.c).
rollfill="$work/build/rollfill"
(cd "$work/build" && ./libtool --mode=link --tag=CC ${CC:-cc} -O2 \
    -D_GNU_SOURCE -I"$work/src/lib" -I"$srcdir/tests/bench" \
    $(pkg-config --cflags json-c) -o "$rollfill" \
    "$srcdir/tests/bench/rollfill.c" lib/libgatherd.la -lm >/dev/null)

# The token endpoint of the cached-token figure (tests/bench/tokenfake.c).
tokenfake="$work/build/tokenfake"
(cd "$work/build" && ./libtool --mode=link --tag=CC ${CC:-cc} -O2 \
    -I"$work/src/tests/support" -o "$tokenfake" \
    "$srcdir/tests/bench/tokenfake.c" tests/libfake.la >/dev/null)

# nginx: the upstream that is never the bottleneck, and the yardstick.
# Its workers run as nobody: they must be able to read the files.
mkdir -p "$work/nginx/html" "$work/nginx/logs"
chmod 755 "$work" "$work/nginx" "$work/nginx/html"
cat >"$work/nginx/html/stats.json" <<'EOT'
{"data":{"total":123456,"active":789,"ratio":0.25,"label":"bench"},"source":"nginx"}
EOT
chmod 644 "$work/nginx/html/stats.json"
cp "$srcdir/tests/bench/series.js" "$work/nginx/series.js"
chmod 644 "$work/nginx/series.js"
cat >"$work/nginx/nginx.conf" <<EOT
load_module $njs_module;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 32768; }
http {
	access_log off;
	log_format uri '\$request_uri';
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	default_type application/json;
	js_path $work/nginx;
	js_import series from series.js;
	server {
		listen 127.0.0.1:18901;
		root $work/nginx/html;
		# A counter and a three-decimal gauge per ?name=.
		location = /series { js_content series.stats; }
		# The same, answered a second late: the fan-out's upstream.
		location = /slow { js_content series.slow; }
	}
	# The same files, each request logged: the cluster run counts them.
	server {
		listen 127.0.0.1:18903;
		root $work/nginx/html;
		access_log $work/nginx/logs/counted.log uri;
	}
}
EOT
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
pids="$pids $(cat "$work/nginx/nginx.pid")"
up=http://127.0.0.1:18901
counted=http://127.0.0.1:18903
curl -fsS -o /dev/null "$up/stats.json" ||
    { echo "bench: nginx does not serve the upstream document" >&2; exit 1; }
curl -fsS "$up/series?name=s0" | grep -q '"active":' ||
    { echo "bench: nginx's njs does not serve the series" >&2; exit 1; }

# Writes a config of $1 sources polling $2 every $3 to $work/N.conf;
# $history, when set, is the [gatherd] history key.
make_config() {
	awk -v n="$1" -v url="$2" -v iv="$3" -v spread="${4:-1s}" \
	    -v conc="${5:-512}" -v state="$work" -v hist="${history:-}" 'BEGIN {
		printf "[gatherd]\nlisten = 127.0.0.1:0\ninitial_spread = %s\n", spread
		if (hist != "")
			printf "history = %s\n", hist
		printf "max_concurrency = %s\nmax_per_host = %s\n", conc, conc
		printf "web_root = /nonexistent\nstate_dir = %s\n", state
		for (i = 0; i < n; i++)
			printf "[source s%d]\nurl = %s%sname=s%d\ninterval = %s\ntimeout = 10s\nstat total = /data/total\nstat active = /data/active\n", i, url, (index(url, "?") ? "&" : "?"), i, iv
	}' >"$work/$1.conf"
}

# Prints the port gatherd logged in $1 once it listens; fails (the log
# shown) if it never does.
listen_port() {
	for _ in $(seq 1 600); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1" | head -1)
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.1
	done
	cat "$1" >&2
	return 1
}

# Waits up to 10 s for test $1 (-s: not empty, -S: a socket) to hold
# for file $2; fails if it does not.
wait_file() {
	for _ in $(seq 1 100); do
		[ "$1" "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Starts gatherd on $1, with no saved state; sets gd_pid and gd_port.
start_gatherd() {
	rm -f "$work/state.json"
	"$gatherd" -c "$1" 2>"$work/gatherd.err" &
	gd_pid=$!
	pids="$pids $gd_pid"
	gd_port=$(listen_port "$work/gatherd.err")
}

stop_gatherd() {
	kill "$gd_pid"
	wait "$gd_pid" || true
}

# user+sys CPU of pid in ms.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# Sums polls_total over all sources from one scrape: "good all", the
# good ones (ok, 304) and every poll.
polls() {
	curl -fsS "http://127.0.0.1:$gd_port/metrics" |
	    awk '/^gatherd_polls_total/ { a += $NF
	        if (/result="(ok|not_modified)"/) g += $NF }
	        END { printf "%d %d\n", g, a }'
}

machine=$(printf '{"cores": %s, "cpu": "%s"}' "$(nproc)" \
    "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo | tr -d '"')")

emit() { echo "$1" | tee -a "$results"; }

# 1. Steady polling cost: N sources at 1 s.
steady() {
	n=$1 secs=$2
	make_config "$n" "$up/stats.json" 1s 1s
	start_gatherd "$work/$n.conf"
	sleep 3
	set -- $(polls)
	p0=$1 a0=$2 c0=$(cpu_ms "$gd_pid")
	sleep "$secs"
	set -- $(polls)
	p1=$1 a1=$2 c1=$(cpu_ms "$gd_pid")
	hwm=$(hwm_kb "$gd_pid")
	stop_gatherd
	emit "$(awk -v n="$n" -v s="$secs" -v p="$((p1 - p0))" -v c="$((c1 - c0))" \
	    -v a="$((a1 - a0))" -v h="$hwm" -v m="$machine" -v hist="${history:-360}" 'BEGIN {
		printf "{\"figure\":\"steady\",\"sources\":%d,\"history\":%d,\"seconds\":%d,\"good_polls_per_s\":%.0f,\"failed_polls_per_s\":%.0f,\"target_polls_per_s\":%d,\"cpu_ms_per_1000_polls\":%.1f,\"peak_rss_mb\":%.1f,\"machine\":%s}\n", n, hist, s, p / s, (a - p) / s, n, (a ? c * 1000 / a : 0), h / 1024, m }')"
}

# 1b. The floor: plain libcurl multi doing the same GETs.
raw() {
	out=$("$rawcurl" "$up/stats.json" "$1" "$2")
	emit "$(echo "$out" | sed "s/}\$/,\"machine\":$machine}/")"
}

# The median of 15 RSS samples a second apart: the resident size without
# the state text that comes and goes every few seconds.
rss_median_kb() {
	for _ in $(seq 1 15); do rss_kb "$1"; sleep 1; done | sort -n | sed -n 8p
}

# 1c. RSS at minute 1 and minute 5 of N sources at 1 s: no growth per poll.
flat() {
	n=$1
	make_config "$n" "$up/stats.json" 1s 1s
	start_gatherd "$work/$n.conf"
	sleep 53
	r1=$(rss_median_kb "$gd_pid")
	sleep 225
	r5=$(rss_median_kb "$gd_pid")
	stop_gatherd
	emit "$(awk -v n="$n" -v a="$r1" -v b="$r5" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"rss_flat\",\"sources\":%d,\"rss_mb_minute_1\":%.1f,\"rss_mb_minute_5\":%.1f,\"growth_percent\":%.1f,\"machine\":%s}\n", n, a / 1024, b / 1024, (b - a) * 100 / a, m }')"
}

# 2. Fan-out: N sources whose upstream answers after 1 s, all due at once.
fanout() {
	n=$1
	"$fake" -p 18902 >"$work/fake.out" &
	fpid=$!
	pids="$pids $fpid"
	sleep 0.5
	make_config "$n" "http://127.0.0.1:18902/stats?delay_ms=1000" 1h 0 "$n"
	t0=$(date +%s%N)
	"$gatherd" --once -c "$work/$n.conf" >"$work/once.json" || true
	t1=$(date +%s%N)
	ok=$(grep -o '"status":"ok"' "$work/once.json" | wc -l)
	kill "$fpid"; wait "$fpid" 2>/dev/null || true
	emit "$(awk -v n="$n" -v ok="$ok" -v ns="$((t1 - t0))" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"fanout\",\"sources\":%d,\"ok\":%d,\"upstream_delay_s\":1,\"seconds_until_all_ok\":%.3f,\"machine\":%s}\n", n, ok, ns / 1e9, m }')"
	# The same on nginx (njs answers a second late, on one event loop),
	# which costs the machine less than the fake's thread a connection.
	make_config "$n" "$up/slow" 1h 0 "$n"
	t0=$(date +%s%N)
	"$gatherd" --once -c "$work/$n.conf" >"$work/once.json" || true
	t1=$(date +%s%N)
	ok=$(grep -o '"status":"ok"' "$work/once.json" | wc -l)
	emit "$(awk -v n="$n" -v ok="$ok" -v ns="$((t1 - t0))" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"fanout_nginx\",\"sources\":%d,\"ok\":%d,\"upstream_delay_s\":1,\"seconds_until_all_ok\":%.3f,\"machine\":%s}\n", n, ok, ns / 1e9, m }')"
}

# Runs wrk against url with an optional header; prints "rps p99_ms".
wrk_run() {
	if [ -n "${2:-}" ]; then
		wrk -t2 -c64 -d"$wrk_secs" --latency -H "$2" "$1" >"$work/wrk.out"
	else
		wrk -t2 -c64 -d"$wrk_secs" --latency "$1" >"$work/wrk.out"
	fi
	awk '/Requests\/sec/ { rps = $2 }
	    $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	        p = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
	    END { printf "%.0f %.3f\n", rps, p }' "$work/wrk.out"
}

# 3 and 4. Serving /api/v1/stats with 100 sources cached, against nginx
# serving the same bytes; $1 extra sources polling at 1 s meanwhile.
serving() {
	background=$1
	make_config 100 "$up/stats.json" 1h 0
	if [ "$background" -gt 0 ]; then
		awk -v n="$background" -v url="$up/stats.json" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "[source b%d]\nurl = %s?name=b%d\ninterval = 1s\nstat total = /data/total\n", i, url, i }' >>"$work/100.conf"
		sed -i 's/^initial_spread = 0/initial_spread = 1s/' "$work/100.conf"
	fi
	start_gatherd "$work/100.conf"
	sleep 3
	curl -fsS "http://127.0.0.1:$gd_port/api/v1/stats" >"$work/nginx/html/same.json"
	chmod 644 "$work/nginx/html/same.json"
	curl -fsS -o /dev/null "$up/same.json" ||
	    { echo "bench: nginx cannot serve the document" >&2; exit 1; }
	etag=$(curl -fsSI "http://127.0.0.1:$gd_port/api/v1/stats" | awk -F': ' 'tolower($1) == "etag" { print $2 }' | tr -d '\r')
	set -- $(wrk_run "http://127.0.0.1:$gd_port/api/v1/stats")
	g_rps=$1 g_p99=$2
	set -- $(wrk_run "$up/same.json")
	n_rps=$1 n_p99=$2
	set -- $(wrk_run "http://127.0.0.1:$gd_port/api/v1/stats/s1")
	one_rps=$1 one_p99=$2
	cpu0=$(cpu_ms "$gd_pid")
	set -- $(wrk_run "http://127.0.0.1:$gd_port/api/v1/stats" "If-None-Match: $etag")
	nm_rps=$1 nm_p99=$2
	bytes=$(wc -c <"$work/nginx/html/same.json")
	stop_gatherd
	emit "$(awk -v bg="$background" -v b="$bytes" -v gr="$g_rps" -v gp="$g_p99" \
	    -v nr="$n_rps" -v np="$n_p99" -v or="$one_rps" -v op="$one_p99" \
	    -v mr="$nm_rps" -v mp="$nm_p99" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"serving\",\"background_sources\":%d,\"doc_bytes\":%d,\"gatherd_rps\":%d,\"gatherd_p99_ms\":%.3f,\"nginx_rps\":%d,\"nginx_p99_ms\":%.3f,\"ratio\":%.2f,\"one_source_rps\":%d,\"one_source_p99_ms\":%.3f,\"not_modified_rps\":%d,\"not_modified_p99_ms\":%.3f,\"machine\":%s}\n", bg, b, gr, gp, nr, np, (nr ? gr / nr : 0), or, op, mr, mp, m }')"
}

# polls once gatherd answers a new connection again: right after wrk its
# 64 connections may still count against the per-address limit.
polls_settled() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		out=$(polls 2>/dev/null || true)
		[ "${out%% *}" != 0 ] && [ -n "$out" ] && break
		sleep 0.2
	done
	echo "${out:-0 0}"
}

# 4b. The whole document of N sources polling at 1 s, served in gzip and
# not: wrk with and without Accept-Encoding, the bytes of each form, the
# polls done meanwhile, and what gzip's level costs on that document
# (tests/bench/gzlevel.c, gatherd's own gzip_compress).
serving_gzip() {
	n=$1
	gzlevel="$work/build/gzlevel"
	${CC:-cc} -O2 -I"$srcdir/lib" -o "$gzlevel" \
	    "$srcdir/tests/bench/gzlevel.c" "$srcdir/lib/gzip.c" \
	    $(pkg-config --cflags --libs zlib)
	make_config "$n" "$up/stats.json" 1s 1s
	start_gatherd "$work/$n.conf"
	sleep 3
	url="http://127.0.0.1:$gd_port/api/v1/stats"
	curl -fsS -o "$work/doc.json" "$url"
	curl -fsS -H 'Accept-Encoding: gzip' -o "$work/doc.json.gz" "$url"
	gzip -t "$work/doc.json.gz" ||
	    { echo "bench: the gzip form is not gzip" >&2; exit 1; }
	set -- $(wrk_run "$url")
	i_rps=$1 i_p99=$2
	set -- $(polls_settled)
	p0=$1 t0=$(date +%s%N)
	set -- $(wrk_run "$url" "Accept-Encoding: gzip")
	g_rps=$1 g_p99=$2
	set -- $(polls_settled)
	p1=$1 t1=$(date +%s%N)
	stop_gatherd
	emit "$(awk -v n="$n" -v ib="$(wc -c <"$work/doc.json")" \
	    -v gb="$(wc -c <"$work/doc.json.gz")" -v ir="$i_rps" -v ip="$i_p99" \
	    -v gr="$g_rps" -v gp="$g_p99" -v p="$((p1 - p0))" \
	    -v s="$(((t1 - t0) / 1000000))e-3" \
	    -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"serving_gzip\",\"sources\":%d,\"interval_s\":1,\"identity_bytes\":%d,\"gzip_bytes\":%d,\"bytes_ratio\":%.1f,\"target_bytes_ratio\":5,\"identity_rps\":%d,\"identity_p99_ms\":%.3f,\"gzip_rps\":%d,\"gzip_p99_ms\":%.3f,\"target_gzip_p99_ms\":10,\"good_polls_per_s_while_gzip\":%.0f,\"machine\":%s}\n", n, ib, gb, ib / gb, ir, ip, gr, gp, p / s, m }')"
	emit "$("$gzlevel" "$work/doc.json" 20 |
	    sed "s/}\$/,\"sources\":$n,\"machine\":$machine}/")"
}

# 5. Memory: RSS once every source has polled, history on.
memory() {
	n=$1
	make_config "$n" "$up/stats.json" 1h 2s
	start_gatherd "$work/$n.conf"
	for _ in $(seq 1 120); do
		set -- $(polls)
		[ "$2" -ge "$n" ] && break
		sleep 0.5
	done
	rss=$(rss_kb "$gd_pid")
	stop_gatherd
	emit "$(awk -v n="$n" -v r="$rss" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"memory\",\"sources\":%d,\"rss_mb\":%.1f,\"bytes_per_source\":%.0f,\"machine\":%s}\n", n, r / 1024, r * 1024 / n, m }')"
}

# 6. jq: a stat per poll on ~1 KB, hostile bodies within 8 MiB, and
# gatherd -t on 10,000 sources sharing 3 programs.
jq_figures() {
	"$jqbench" $1 | while read -r line; do
		emit "$(echo "$line" | sed "s/}\$/,\"machine\":$machine}/")"
	done
	awk -v n=10000 'BEGIN {
		p[0] = ".rows[0].metricValues[0].value | tonumber"
		p[1] = "[.data[] | select(.status == \"succeeded\") | .amount] | add"
		for (i = 0; i < n; i++)
			printf "[source s%d]\nurl = http://127.0.0.1/%d\nstat v = jq: %s\nerror_if = jq: select(.result? == \"error\") | .message\n", i, i, p[i % 2]
	}' >"$work/jq.conf"
	t0=$(date +%s%N)
	"$gatherd" -t -c "$work/jq.conf" 2>/dev/null
	t1=$(date +%s%N)
	emit "$(awk -v ns="$((t1 - t0))" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"jq_check_config\",\"sources\":10000,\"programs\":3,\"seconds\":%.3f,\"target_s\":2,\"machine\":%s}\n", ns / 1e9, m }')"
}

# Writes $work/extra-$1.conf: $2 sources at 1 s on nginx, as $1 says:
# plain; literal (tpl's request written out: today's dates, a fixed time);
# tpl (url and header templates); token (an OAuth 2.0 client
# credentials token from tokenfake on port $3, cached); tpl+token.
make_extra() {
	printf 'bench-secret\n' >"$work/client.secret"
	awk -v kind="$1" -v n="$2" -v port="${3:-0}" -v up="$up" \
	    -v today="$(date -u +%F)" -v week_ago="$(date -u -d '7 days ago' +%F)" \
	    -v now_ms="$(date -u +%s)000" \
	    -v state="$work" -v secret="$work/client.secret" 'BEGIN {
		printf "[gatherd]\nlisten = 127.0.0.1:0\ninitial_spread = 1s\n"
		printf "max_concurrency = 512\nmax_per_host = 512\n"
		printf "web_root = /nonexistent\nstate_dir = %s\n", state
		for (i = 0; i < n; i++) {
			printf "[source s%d]\ninterval = 1s\ntimeout = 10s\n", i
			printf "stat total = /data/total\nstat active = /data/active\n"
			if (kind ~ /tpl/) {
				printf "url = %s/stats.json?name=s%d&from=${today-7d}&to=${today}&at=${now:unix_ms}\n", up, i
				printf "header = X-Day: ${today}\n"
			} else if (kind == "literal") {
				# The same request written out: what templates
				# cost beyond the bytes they send.
				printf "url = %s/stats.json?name=s%d&from=%s&to=%s&at=%s\n", up, i, week_ago, today, now_ms
				printf "header = X-Day: %s\n", today
			} else
				printf "url = %s/stats.json?name=s%d\n", up, i
			if (kind ~ /token/)
				printf "auth = oauth2_client_credentials\ntoken_url = http://127.0.0.1:%d/token\nclient_id = bench\nclient_secret_file = %s\n", port, secret
		}
	}' >"$work/extra-$1.conf"
}

# CPU ms per 1,000 polls of $work/extra-$1.conf over $2 s.
extra_cpu() {
	start_gatherd "$work/extra-$1.conf"
	sleep 3
	set -- "$1" "$2" $(polls)
	a0=$4 c0=$(cpu_ms "$gd_pid")
	sleep "$2"
	set -- "$1" "$2" $(polls)
	a1=$4 c1=$(cpu_ms "$gd_pid")
	stop_gatherd
	awk -v a="$((a1 - a0))" -v c="$((c1 - c0))" 'BEGIN {
		printf "%.2f\n", (a ? c * 1000 / a : 0) }'
}

# 7. Templates and cached tokens against the same sources without them:
# N sources at 1 s, each kind run $3 times in turn, the least CPU kept
# (other work on a shared machine only ever adds).
extras() {
	n=$1 secs=$2 rounds=$3
	"$tokenfake" 0 >"$work/tokenfake.out" 2>"$work/tokenfake.err" &
	tpid=$!
	pids="$pids $tpid"
	wait_file -s "$work/tokenfake.out" || true
	tport=$(head -1 "$work/tokenfake.out")
	for k in plain literal tpl token tpl+token; do make_extra "$k" "$n" "$tport"; done
	best_plain= best_literal= best_tpl= best_token= best_both=
	for _ in $(seq 1 "$rounds"); do
		for k in plain literal tpl token tpl+token; do
			v=$(extra_cpu "$k" "$secs")
			case $k in
			plain) var=best_plain ;;
			literal) var=best_literal ;;
			tpl) var=best_tpl ;;
			token) var=best_token ;;
			*) var=best_both ;;
			esac
			eval "cur=\${$var}"
			if [ -z "$cur" ] || awk -v a="$v" -v b="$cur" 'BEGIN { exit !(a < b) }'; then
				eval "$var=$v"
			fi
		done
	done
	kill "$tpid"; wait "$tpid" 2>/dev/null || true
	granted=$(sed -n 's/^tokenfake: \([0-9]*\) tokens granted.*/\1/p' "$work/tokenfake.err")
	emit "$(awk -v n="$n" -v s="$secs" -v r="$rounds" -v p="$best_plain" \
	    -v l="$best_literal" -v t="$best_tpl" -v o="$best_token" \
	    -v b="$best_both" -v g="${granted:-0}" -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"templates_tokens\",\"sources\":%d,\"seconds\":%d,\"rounds\":%d,\"cpu_ms_per_1000_polls_plain\":%.2f,\"same_request_written_out\":%.2f,\"templates\":%.2f,\"cached_token\":%.2f,\"both\":%.2f,\"templates_percent_vs_written_out\":%.1f,\"templates_percent\":%.1f,\"cached_token_percent\":%.1f,\"both_percent\":%.1f,\"tokens_granted\":%d,\"target_percent\":5,\"machine\":%s}\n", n, s, r, p, l, t, o, b, (t - l) * 100 / l, (t - p) * 100 / p, (o - p) * 100 / p, (b - p) * 100 / p, g, m }')"
}

# Starts replica $1 (1, 2, 3) of the cluster with config $2; sets
# rpid$1 and rport$1.
start_replica() {
	"$gatherd" -c "$2" 2>"$work/r$1.err" &
	eval "rpid$1=$!"
	pids="$pids $!"
	port=$(listen_port "$work/r$1.err")
	eval "rport$1=$port"
}

# Sums a /metrics sample (name and labels as printed) over the replicas.
cluster_sum() {
	for port in $rport1 $rport2 $rport3; do
		curl -fsS "http://127.0.0.1:$port/metrics"
	done | awk -v k="$1" '$1 == k { s += $2 } END { printf "%d\n", s }'
}

# Sums a number of /api/v1/info's "cluster" (claims_won...) over the
# replicas: a small document, unlike /metrics, so quick to ask for.
cluster_info_sum() {
	for port in $rport1 $rport2 $rport3; do
		curl -fsS "http://127.0.0.1:$port/api/v1/info"
		echo
	done | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" |
	    awk '{ s += $1 } END { printf "%d\n", s }'
}

# user+sys CPU ms of the replicas and redis-server together.
cluster_cpu() {
	echo $(($(cpu_ms "$rpid1") + $(cpu_ms "$rpid2") + $(cpu_ms "$rpid3") + \
	    $(cpu_ms "$redis_pid")))
}

# Bytes of nginx's request log so far.
counted_bytes() { wc -c <"$work/nginx/logs/counted.log"; }

# "requests sources max_per_source" of the request log between byte
# offsets $1 and $2.
counted_requests() {
	tail -c +"$(($1 + 1))" "$work/nginx/logs/counted.log" | head -c "$(($2 - $1))" |
	    awk '{ n++; s = $0; sub(/.*name=/, "", s); c[s]++ }
	        END { for (k in c) { m++; if (c[k] > x) x = c[k] }
	        printf "%d %d %d\n", n, m, x }'
}

# 8. Cluster mode: 3 replicas and one redis-server (unix socket) polling
# $1 sources at 1 s on nginx for $2 s: upstream requests per second
# (nginx's log), CPU per poll of the replicas and Redis together against
# one gatherd alone on the same sources, and how long a commit takes to
# reach every replica's /api/v1/events (tests/bench/sselat.c, $3 s).
cluster() {
	n=$1 secs=$2 sse_secs=$3
	mkdir -p "$work/redis" "$work/r1" "$work/r2" "$work/r3"
	: >"$work/nginx/logs/counted.log"
	chmod 666 "$work/nginx/logs/counted.log"
	redis-server --port 0 --unixsocket "$work/redis/redis.sock" \
	    --unixsocketperm 700 --save '' --appendonly no --dir "$work/redis" \
	    --logfile "$work/redis/redis.log" &
	redis_pid=$!
	pids="$pids $redis_pid"
	wait_file -S "$work/redis/redis.sock" ||
	    { cat "$work/redis/redis.log" >&2; exit 1; }
	make_config "$n" "$counted/stats.json" 1s 1s
	for i in 1 2 3; do
		sed "s|^state_dir = .*|state_dir = $work/r$i|" "$work/$n.conf" \
		    >"$work/cluster-r$i.conf"
		printf '[cluster]\nredis = unix:%s\nname = r%s\n' \
		    "$work/redis/redis.sock" "$i" >>"$work/cluster-r$i.conf"
		start_replica "$i" "$work/cluster-r$i.conf"
	done
	# Every replica in sync and seeing the other two.
	for _ in $(seq 1 300); do
		[ "$(cluster_sum gatherd_cluster_up)" = 3 ] &&
		    [ "$(cluster_sum gatherd_cluster_replicas)" = 9 ] && break
		sleep 0.1
	done
	sleep 5
	# Claims are counted from just outside the window of requests and
	# CPU, so that asking for them costs the window nothing.
	wb0=$(counted_bytes)
	won0=$(cluster_info_sum claims_won) lost0=$(cluster_info_sum claims_lost)
	t0=$(date +%s%N) b0=$(counted_bytes) c0=$(cluster_cpu) r0=$(cpu_ms "$redis_pid")
	sleep "$secs"
	t1=$(date +%s%N) b1=$(counted_bytes) c1=$(cluster_cpu) r1=$(cpu_ms "$redis_pid")
	won1=$(cluster_info_sum claims_won) lost1=$(cluster_info_sum claims_lost)
	wb1=$(counted_bytes)
	set -- $(counted_requests "$wb0" "$wb1")
	wreq=$1
	set -- $(counted_requests "$b0" "$b1")
	creq=$1 csrc=$2 cmax=$3
	fenced=$(cluster_info_sum fenced) alone=$(cluster_info_sum polls_alone)
	sse=$("$sselat" "$work/redis/redis.sock" gatherd "$sse_secs" \
	    "$rport1" "$rport2" "$rport3")
	for p in $rpid1 $rpid2 $rpid3 $redis_pid; do kill "$p"; done
	for p in $rpid1 $rpid2 $rpid3 $redis_pid; do wait "$p" || true; done
	# One gatherd alone on the same sources, measured the same way.
	start_gatherd "$work/$n.conf"
	sleep 5
	u0=$(date +%s%N) b0=$(counted_bytes) s0=$(cpu_ms "$gd_pid")
	sleep "$secs"
	u1=$(date +%s%N) b1=$(counted_bytes) s1=$(cpu_ms "$gd_pid")
	stop_gatherd
	set -- $(counted_requests "$b0" "$b1")
	sreq=$1
	emit "$(awk -v n="$n" -v s="$(((t1 - t0) / 1000000))" -v q="$creq" \
	    -v src="$csrc" -v mx="$cmax" -v c="$((c1 - c0))" -v r="$((r1 - r0))" \
	    -v sq="$sreq" -v ss="$(((u1 - u0) / 1000000))" -v sc="$((s1 - s0))" \
	    -v w="$((won1 - won0))" -v l="$((lost1 - lost0))" \
	    -v wq="$wreq" -v f="$fenced" -v a="$alone" \
	    -v m="$machine" 'BEGIN {
		cc = q ? c * 1000 / q : 0; sc = sq ? sc * 1000 / sq : 0
		s /= 1000; ss /= 1000
		printf "{\"figure\":\"cluster\",\"replicas\":3,\"sources\":%d,\"seconds\":%.2f,\"upstream_requests_per_s\":%.0f,\"target_requests_per_s\":%d,\"off_target_percent\":%.1f,\"sources_polled\":%d,\"most_polls_of_one_source\":%d,\"claims_won_per_poll\":%.3f,\"claims_lost_per_poll\":%.3f,\"fenced\":%d,\"polls_alone\":%d,\"cpu_ms_per_1000_polls_cluster\":%.1f,\"redis_share_percent\":%.0f,\"single_requests_per_s\":%.0f,\"cpu_ms_per_1000_polls_single\":%.1f,\"cpu_ratio\":%.2f,\"target_ratio\":2,\"machine\":%s}\n", n, s, q / s, n, (q / s - n) * 100 / n, src, mx, (wq ? w / wq : 0), (wq ? l / wq : 0), f, a, cc, (c ? r * 100 / c : 0), sq / ss, sc, (sc ? cc / sc : 0), m }')"
	emit "$(echo "$sse" | sed "s/}\$/,\"sources\":$n,\"machine\":$machine}/")"
}

# "good all points bytes" of one scrape of the gatherd on port $1: good
# polls (ok, 304), every poll, gatherd_history_points and _bytes.
scrape() {
	curl -fsS "http://127.0.0.1:$1/metrics" |
	    awk '/^gatherd_polls_total/ { a += $NF
	        if (/result="(ok|not_modified)"/) g += $NF }
	        $1 == "gatherd_history_points" { p = $2 }
	        $1 == "gatherd_history_bytes" { b = $2 }
	        END { printf "%d %d %d %d\n", g, a, p, b }'
}

# Starts a gatherd on $work/$3.conf without stat $2, as
# $work/hist-$1.conf (state in $work/hist-$1/): sets kpid and kport.
start_kind() {
	rm -rf "$work/hist-$1"
	mkdir -p "$work/hist-$1"
	sed -e "/^stat $2 = /d" -e "s|^state_dir = .*|state_dir = $work/hist-$1|" \
	    "$work/$3.conf" >"$work/hist-$1.conf"
	"$gatherd" -c "$work/hist-$1.conf" 2>"$work/hist-$1.err" &
	kpid=$!
	pids="$pids $kpid"
	kport=$(listen_port "$work/hist-$1.err")
}

# 9. History on realistic series (tests/bench/series.js on njs): $1
# sources with a counter and a three-decimal gauge at 1 s for $2 s, past
# the 360 s that fill the default history: polls done, peak RSS (VmHWM),
# the median RSS of the last 15 s, and bytes a stored point
# (gatherd_history_bytes / gatherd_history_points).  Then the same per
# kind: $3 sources with the counter alone and as many with the gauge
# alone, in two gatherds side by side for as long (0: not run).
history_fig() {
	n=$1 secs=$2 kn=$3
	make_config "$n" "$up/series" 1s 1s
	start_gatherd "$work/$n.conf"
	sleep 3
	set -- $(scrape "$gd_port")
	g0=$1 a0=$2 c0=$(cpu_ms "$gd_pid") t0=$(date +%s%N)
	# Once the history is full (370 s in), bytes a point every 10 s:
	# their mean covers the phases of the oldest block's rewrites.
	sleep "$((secs > 385 ? 367 : secs - 18))"
	samples=$work/bytes.samples
	: >"$samples"
	while [ "$(($(date +%s%N) - t0))" -lt "$(((secs - 28) * 1000000000))" ]; do
		scrape "$gd_port" >>"$samples"
		sleep 10
	done
	[ -s "$samples" ] || scrape "$gd_port" >>"$samples"
	rss=$(rss_median_kb "$gd_pid")
	mean=$(awk '$3 > 0 { s += $4 / $3; n++ } END { printf "%.3f\n", n ? s / n : 0 }' "$samples")
	set -- $(scrape "$gd_port")
	g1=$1 a1=$2 pts=$3 bytes=$4 c1=$(cpu_ms "$gd_pid") t1=$(date +%s%N)
	hwm=$(hwm_kb "$gd_pid")
	state=$(stat -c %s "$work/state.json" 2>/dev/null || echo 0)
	stop_gatherd
	emit "$(awk -v n="$n" -v ns="$((t1 - t0))" -v g="$((g1 - g0))" \
	    -v a="$((a1 - a0))" -v c="$((c1 - c0))" -v h="$hwm" -v r="$rss" \
	    -v p="$pts" -v b="$bytes" -v st="$state" -v mb="$mean" \
	    -v m="$machine" 'BEGIN {
		s = ns / 1e9
		printf "{\"figure\":\"history\",\"sources\":%d,\"stats\":2,\"history\":360,\"seconds\":%.0f,\"polls_done_percent\":%.2f,\"target_polls_done_percent\":99,\"good_polls_per_s\":%.0f,\"cpu_ms_per_1000_polls\":%.1f,\"peak_rss_mb\":%.1f,\"target_peak_rss_mb\":64,\"rss_mb_last_15s_median\":%.1f,\"history_points\":%d,\"history_full_percent\":%.1f,\"history_mb\":%.2f,\"bytes_per_point\":%.3f,\"bytes_per_point_mean_full\":%.3f,\"target_bytes_per_point\":2.0,\"state_file_mb\":%.1f,\"machine\":%s}\n", n, s, g * 100 / (n * s), g / s, (a ? c * 1000 / a : 0), h / 1024, r / 1024, p, p * 100 / (n * 2 * 360), b / 1048576, (p ? b / p : 0), mb, st / 1048576, m }')"
	[ "$kn" -gt 0 ] || return 0
	make_config "$kn" "$up/series" 1s 1s
	start_kind counter active "$kn"
	cpid=$kpid cport=$kport
	start_kind gauge total "$kn"
	gpid=$kpid gport=$kport
	sleep "$secs"
	for k in counter gauge; do
		if [ "$k" = counter ]; then kpid=$cpid kport=$cport
		else kpid=$gpid kport=$gport; fi
		set -- $(scrape "$kport")
		hwm=$(hwm_kb "$kpid")
		kill "$kpid"; wait "$kpid" || true
		emit "$(awk -v k="$k" -v n="$kn" -v s="$secs" -v p="$3" \
		    -v b="$4" -v h="$hwm" -v m="$machine" 'BEGIN {
			printf "{\"figure\":\"history_kind\",\"kind\":\"%s\",\"sources\":%d,\"stats\":1,\"history\":360,\"seconds\":%d,\"history_points\":%d,\"history_full_percent\":%.1f,\"bytes_per_point\":%.3f,\"peak_rss_mb\":%.1f,\"machine\":%s}\n", k, n, s, p, p * 100 / (n * 360), (p ? b / p : 0), h / 1024, m }')"
	done
}

# 10. A day of rollups: $1 sources with a counter and a three-decimal
# gauge, a day of points a second written into the state file by
# rollfill, then gatherd started on it, polling them at 1 s: peak RSS
# (VmHWM) and the median RSS after $2 s, the rollup buckets and bytes,
# and a 24 h range query (step=300) on one stat under wrk, one
# connection (each query as soon as the last is answered): its p99.
rollup_fig() {
	n=$1 secs=$2
	rm -f "$work/state.json"
	make_config "$n" "$up/series" 1s 1s
	"$rollfill" "$work/$n.conf" 86400 >&2
	# Not start_gatherd: it starts without saved state.
	"$gatherd" -c "$work/$n.conf" 2>"$work/gatherd.err" &
	gd_pid=$!
	pids="$pids $gd_pid"
	gd_port=$(listen_port "$work/gatherd.err")
	sleep "$secs"
	set -- $(curl -fsS "http://127.0.0.1:$gd_port/metrics" | awk '
		/^gatherd_history_rollup_buckets / { rb = $2 }
		/^gatherd_history_rollup_bytes / { rB = $2 }
		/^gatherd_history_points / { p = $2 }
		END { print rb + 0, rB + 0, p + 0 }')
	rb=$1 rB=$2 pts=$3
	rss=$(rss_median_kb "$gd_pid")
	now=$(date +%s)
	url="http://127.0.0.1:$gd_port/api/v1/sources/s0/history?stat=total&from=$((now - 86400))&to=$now&step=300"
	buckets=$(curl -fsS "$url" | grep -o '\],\[' | wc -l)
	# One client after another: the query's own time, not a queue's.
	wrk -t1 -c1 -d"$wrk_secs" --latency "$url" >"$work/wrk.out"
	set -- $(awk '/Requests\/sec/ { rps = $2 }
	    $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	        p = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }
	    END { printf "%.0f %.3f\n", rps, p }' "$work/wrk.out")
	rps=$1 p99=$2
	hwm=$(hwm_kb "$gd_pid")
	stop_gatherd
	rm -f "$work/state.json"
	emit "$(awk -v n="$n" -v rb="$rb" -v rB="$rB" -v p="$pts" -v h="$hwm" \
	    -v r="$rss" -v bk="$((buckets + 1))" -v rps="$rps" -v p99="$p99" \
	    -v m="$machine" 'BEGIN {
		printf "{\"figure\":\"rollups_day\",\"sources\":%d,\"stats\":2,\"rollup_buckets\":%d,\"rollup_full_percent\":%.1f,\"rollup_mb\":%.2f,\"rollup_bytes_per_bucket\":%.2f,\"history_points\":%d,\"peak_rss_mb\":%.1f,\"target_peak_rss_mb\":64,\"rss_mb_median\":%.1f,\"range_24h_step300_buckets\":%d,\"range_rps\":%.0f,\"range_p99_ms\":%.2f,\"target_range_p99_ms\":2,\"machine\":%s}\n", n, rb, rb * 100 / (n * 2 * 1440), rB / 1048576, (rb ? rB / rb : 0), p, h / 1024, r / 1024, bk, rps, p99, m }')"
}

wrk_secs=10
# BENCH_ONLY="rollup fanout ...": the figures named, in one build.
if [ -n "${BENCH_ONLY:-}" ]; then
	for fig in $BENCH_ONLY; do
		case $fig in
		steady) steady 10000 20 ;;
		fanout) fanout 1000 ;;
		gzip) serving_gzip 5000 ;;
		rollup) rollup_fig "${BENCH_ROLLUP_SOURCES:-1000}" 20 ;;
		history) history_fig "${BENCH_HISTORY_SOURCES:-10000}" \
		    "${BENCH_HISTORY_SECS:-390}" \
		    "${BENCH_HISTORY_KIND_SOURCES:-2000}" ;;
		*) echo "bench: BENCH_ONLY: no figure $fig" >&2; exit 2 ;;
		esac
	done
	exit 0
fi
if [ "${BENCH_ONLY_ROLLUP:-}" ]; then
	rollup_fig "${BENCH_ROLLUP_SOURCES:-1000}" 20
	exit 0
fi
if [ "${BENCH_ONLY_FANOUT:-}" ]; then
	fanout 1000
	exit 0
fi
if [ "${BENCH_ONLY_HISTORY:-}" ]; then
	history_fig "${BENCH_HISTORY_SOURCES:-10000}" \
	    "${BENCH_HISTORY_SECS:-390}" "${BENCH_HISTORY_KIND_SOURCES:-2000}"
	exit 0
fi
if [ "${BENCH_ONLY_EXTRAS:-}" ]; then
	extras 1000 10 5
	exit 0
fi
if [ "${BENCH_ONLY_CLUSTER:-}" ]; then
	cluster 3000 20 15
	exit 0
fi
if [ "${BENCH_ONLY_GZIP:-}" ]; then
	serving_gzip 5000
	exit 0
fi
if [ "${BENCH_ONLY_JQ:-}" ]; then
	jq_figures quick
	exit 0
fi
if [ "$mode" = quick ]; then
	wrk_secs=3
	steady 1000 5
	raw 1000 5
	fanout 200
	serving 0
	serving_gzip 1000
	memory 1000
	jq_figures quick
	extras 1000 5 2
	cluster 3000 10 10
else
	steady 1000 20
	steady 10000 20
	history=0
	steady 10000 20
	history=
	raw 10000 20
	fanout 1000
	serving 0
	serving 5000
	serving_gzip 5000
	for n in 100 1000 10000 50000; do memory "$n"; done
	[ -n "${BENCH_SKIP_FLAT:-}" ] || flat 10000
	jq_figures
	extras 1000 20 3
	cluster 3000 20 15
	history_fig 10000 390 2000
	rollup_fig 1000 20
fi

echo
echo "gatherd benchmark on $(nproc) cores: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
awk -F'[:,]' '{
	for (i = 1; i <= NF; i++) { gsub(/[{}"]/, "", $i) }
	print "  " $0 }' "$results" | sed 's/machine.*//'

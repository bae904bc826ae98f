#!/bin/sh
# Builds the libFuzzer harnesses into OUTDIR: lib/*.c once, with clang's
# coverage instrumentation and ASan+UBSan, into an archive, then each
# tests/fuzz/fuzz_NAME.c linked against it as OUTDIR/fuzz_NAME.  Outside
# automake on purpose: it needs clang and -fsanitize=fuzzer whatever
# compiler configure chose.  Usage: build.sh OUTDIR [NAME...]
set -eu

usage="usage: build.sh OUTDIR [NAME...] (NAME: config, extract, ...)"
out=${1:?$usage}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cc=${FUZZ_CC:-clang}
jobs=$(nproc 2>/dev/null || echo 2)

command -v "$cc" >/dev/null 2>&1 || {
	echo "build.sh: $cc not found" >&2
	exit 1
}

pkgs="libevent_core libevent_pthreads libcurl json-c libmicrohttpd inih libcrypto \
glib-2.0 hiredis"
pkg_cflags=$(pkg-config --cflags $pkgs)
# libjq (Debian's libjq-dev) ships no pkg-config file; -lz: tsblock's CRC-32.
pkg_libs="$(pkg-config --libs $pkgs) -ljq -lz -lm"
version=$(sed -n 's/^AC_INIT(\[gatherd\], \[\([^]]*\)\].*/\1/p' \
    "$top/configure.ac")

# -O1 -g as libFuzzer's docs advise; UB is a crash, as in the Check tests.
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-std=c11 -O1 -g -fno-omit-frame-pointer $san \
-D_GNU_SOURCE -DGATHERD_VERSION=\"$version\" -I$top/lib $pkg_cflags"

mkdir -p "$out/obj"
rm -f "$out"/obj/*.o "$out/libgatherd-fuzz.a"

# lib/: instrumented for coverage but without libFuzzer's main.  The
# build makes lib/openapi_doc.c (the built-in OpenAPI document) in the
# build tree, which is the source tree unless configure ran elsewhere.
srcs=$(ls "$top"/lib/*.c)
doc=${abs_top_builddir:-$top}/lib/openapi_doc.c
if [ ! -f "$top/lib/openapi_doc.c" ]; then
	[ -f "$doc" ] || {
		echo "build.sh: $doc is missing: run make first" >&2
		exit 1
	}
	srcs="$srcs $doc"
fi
export cc cflags out
echo "$srcs" | tr ' ' '\n' | xargs -P "$jobs" -n 1 sh -c \
    'exec $cc $cflags -fsanitize=fuzzer-no-link -c "$1" \
	-o "$out/obj/$(basename "$1" .c).o"' sh
ar rcs "$out/libgatherd-fuzz.a" "$out"/obj/*.o

if [ $# -eq 0 ]; then
	set -- $(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
for name in "$@"; do
	$cc $cflags -fsanitize=fuzzer -o "$out/fuzz_$name" \
	    "$here/fuzz_$name.c" "$out/libgatherd-fuzz.a" $pkg_libs
	echo "built $out/fuzz_$name"
done

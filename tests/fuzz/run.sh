#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for SECONDS
# (default 300), seeded from tests/data and the corpora in tests/data/corpora.
#   tests/fuzz/run.sh [SECONDS]
# Findings (crash-*, leak-*, timeout-*) land in build-fuzz/findings/.
set -eu
secs=${1:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DUNMAIL_FUZZ_BUILD:-$root/build-fuzz}
cc=${CC:-clang-14}
command -v "$cc" >/dev/null 2>&1 || cc=clang

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUNMAIL_FUZZ=ON >/dev/null
make -C "$build" -j"$(nproc)" fuzz_parse fuzz_quote >/dev/null

seeds=$build/seeds
mkdir -p "$seeds/parse" "$seeds/quote" "$build/findings" \
    "$build/corpus/parse" "$build/corpus/quote"
for d in "$root/tests/data/mime" "$root/tests/data/replies" \
    "$root/tests/data/corpora/mime"; do
	[ -d "$d" ] && find "$d" -type f -size -256k \
	    -exec cp -f {} "$seeds/parse/" \; 2>/dev/null || true
done
for d in "$root/tests/data/corpora/quotes" "$root/tests/data/mime"; do
	[ -d "$d" ] && find "$d" -type f -size -256k \
	    -exec cp -f {} "$seeds/quote/" \; 2>/dev/null || true
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in parse quote; do
	echo "== fuzz_$t for ${secs}s"
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=262144 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$build/findings/$t-" \
	    "$build/corpus/$t" "$seeds/$t" 2>"$build/fuzz_$t.log" || status=1
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY" \
	    "$build/fuzz_$t.log" || true
done
ls "$build/findings"
exit $status

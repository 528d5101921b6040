#!/usr/bin/env bash
# Every benchmark in one command, each beside the tool a user would
# otherwise use, in the same run on the same data:
#
#   send      dunmail send      vs msmtp (a process per message) and smtp-source
#   ingest    dunmail poll      vs mbsync, 5,000 replies in the sandbox's Dovecot
#   latency   poll --idle       APPEND to processed row, p50/p99
#   classify  dunmail classify  vs a Python email + re script, 100,000 replies
#
#   bench/run-all.sh [send|ingest|latency|classify ...]     (root; default all)
#   BASELINE=REV bench/run-all.sh ...   also a Release build of git revision
#                                       REV, run just before this tree's in
#                                       each benchmark: old and new side by
#                                       side, on the same data in one run
#
# Builds a Release binary in build-bench first. The machines are shared and
# noisy: read the ratios, not only the absolute times.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/build-bench" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
export DUNMAIL="$top/build-bench/dunmail"

binaries=("$DUNMAIL")
if [ -n "${BASELINE:-}" ]; then
	base="$top/build-bench-base"
	rm -rf "$base"
	mkdir -p "$base"
	git -C "$top" archive --format=tar "$BASELINE" | tar -x -C "$base" -f - ||
		{ echo "run-all: cannot check out '$BASELINE'" >&2; exit 64; }
	cmake -S "$base" -B "$base/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$base/build" -j "$(nproc 2>/dev/null || echo 2)" \
		--target dunmail >/dev/null
	binaries=("$base/build/dunmail" "$DUNMAIL")
fi

which=("$@")
[ ${#which[@]} -gt 0 ] || which=(send ingest latency classify)
for b in "${which[@]}"; do
	for bin in "${binaries[@]}"; do
		echo "==> benchmark: $b ($bin)"
		case $b in
		send) bench/send.sh "$bin" ;;
		ingest) DUNMAIL=$bin bench/ingest.sh ;;
		latency) DUNMAIL=$bin bench/idle_latency.sh ;;
		classify) DUNMAIL=$bin bench/classify.sh ;;
		*) echo "run-all: no benchmark '$b'" >&2; exit 64 ;;
		esac
	done
done

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
#
# Builds a Release binary in build-bench first. The machines are shared and
# noisy: read the ratios, not only the absolute times.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/build-bench" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
export DUNMAIL="$top/build-bench/dunmail"

which=("$@")
[ ${#which[@]} -gt 0 ] || which=(send ingest latency classify)
for b in "${which[@]}"; do
	echo "==> benchmark: $b"
	case $b in
	send) bench/send.sh "$DUNMAIL" ;;
	ingest) bench/ingest.sh ;;
	latency) bench/idle_latency.sh ;;
	classify) bench/classify.sh ;;
	*) echo "run-all: no benchmark '$b'" >&2; exit 64 ;;
	esac
done

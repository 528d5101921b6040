#!/usr/bin/env bash
# `dunmail run` against the sandbox: a reply that arrives while it sits in
# IDLE is processed at once (classified, applied to its case, filed);
# SIGHUP reloads the config; SIGTERM stops it cleanly with exit 0.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
work=$(mktemp -d)
passed=0 failed=0
check() {
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
cleanup() {
	[ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
	[ "${SANDBOX_REUSE:-0}" = 1 ] || "$top/tests/sandbox/sandbox.sh" stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

if [ "${SANDBOX_REUSE:-0}" != 1 ] || ! "$top/tests/sandbox/sandbox.sh" status >/dev/null 2>&1; then
	"$top/tests/sandbox/sandbox.sh" start >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
eval "$("$top/tests/sandbox/sandbox.sh" env)"
export DUNMAIL_SMTP_PASSWORD=$SANDBOX_PASSWORD DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD
"$top/tests/sandbox/dunmail-config.sh" "$work/d.db" > "$work/d.conf"
dm() { "$dunmail" -c "$work/d.conf" "$@"; }
dm init >/dev/null
dm import invoices "$top/contrib/demo/invoices.csv" >/dev/null

"$dunmail" -c "$work/d.conf" -v run --interval 5 > "$work/run.log" 2>&1 &
pid=$!
sleep 3
check "run is up" kill -0 "$pid"
mid="run-test-$$-$(date +%s)@buyer.test"
printf 'From: acme@buyer.test\r\nTo: ar@vendor.test\r\nSubject: Re: invoice INV-2026-0142\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nWe will pay INV-2026-0142 by Friday.\r\n' \
	"$mid" "$(date -R)" > "$work/reply.eml"
curl -s --ssl-reqd --cacert "$SANDBOX_CA" --resolve "localhost:$SANDBOX_SUBMISSION_PORT:127.0.0.1" \
	"smtp://localhost:$SANDBOX_SUBMISSION_PORT" --user "acme@buyer.test:$SANDBOX_PASSWORD" \
	--mail-from acme@buyer.test --mail-rcpt ar@vendor.test --upload-file "$work/reply.eml"
state=
for _ in $(seq 1 40); do
	state=$(dm show INV-2026-0142 | awk '/^State/{print $2}')
	[ "$state" = promised ] && break
	sleep 0.25
done
check "reply processed while in IDLE (promised)" test "$state" = promised
check "filed under Dunning/Promise" grep -rqs "$mid" "$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir/.Dunning.Promise"
kill -HUP "$pid"
for _ in $(seq 1 40); do
	grep -q "config reloaded" "$work/run.log" && break
	sleep 0.25
done
check "SIGHUP reloads the config" grep -q "config reloaded" "$work/run.log"
check "still running after SIGHUP" kill -0 "$pid"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
check "SIGTERM: exit 0" test "$rc" = 0
check "says it stops" grep -q "stopping" "$work/run.log"
check "trail verifies" dm verify >/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

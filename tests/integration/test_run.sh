#!/usr/bin/env bash
# `dunmail run` against the sandbox: a reply that arrives while it sits in
# IDLE is processed at once (classified, applied to its case, filed);
# SIGHUP reloads the config; SIGTERM stops it cleanly with exit 0. Then,
# on a store of its own, run sleeps until a reminder falls due and sends
# it then, not at its --interval.
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

# --- run wakes when the next action falls due --------------------------
# A store of its own with one invoice due today whose due_today reminder
# may go at the next whole minute (10 to 70 s away): the debtor's window
# opens then, in a zone where that minute is mid-day; every day is a
# sending day and no holiday applies. With --interval 900, run must sleep
# until the window opens and send then: not before, and long before the
# interval's safety poll. Without -v, its activity is logged (info).
due=$work/due
mkdir -p "$due"
open=$(( ($(date +%s) + 10 + 59) / 60 * 60 ))
hour=$(date -u -d "@$open" +%H)
zone=UTC
if [ "$hour" -ge 22 ] || [ "$hour" -lt 1 ]; then zone=Etc/GMT+6; fi # UTC-6
"$top/tests/sandbox/dunmail-config.sh" "$due/d.db" |
	sed -e "s/^window = .*/window = $(TZ=$zone date -d "@$open" +%H:%M)-$(TZ=$zone date -d "@$((open + 1800))" +%H:%M)/" \
	    -e 's/^weekdays = .*/weekdays = mon-sun/' -e '/^\[holidays\]/,$d' > "$due/d.conf"
today=$(TZ=$zone date -d "@$open" +%F)
printf '%s\n' "$(head -n1 "$top/contrib/demo/invoices.csv")" \
	"CUST-9901,Due Soon Ltd,acme@buyer.test,en,$zone,,INV-RUN-$$,$today,$today,GBP,10.00,10.00," > "$due/inv.csv"
dd() { "$dunmail" -c "$due/d.conf" "$@"; }
dd init >/dev/null
dd import invoices "$due/inv.csv" >/dev/null
sent_at() { sqlite3 "$due/d.db" "SELECT IFNULL(MAX(m.sent_at), 0) FROM message m JOIN message_case mc ON mc.message_id = m.id JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id WHERE i.number = 'INV-RUN-$$' AND m.kind = 'reminder' AND m.outbox_state = 'sent'"; }
started=$(date +%s)
"$dunmail" -c "$due/d.conf" run --interval 900 > "$due/run.log" 2>&1 &
pid=$!
at=0
while [ "$(date +%s)" -lt $((open + 90)) ] && kill -0 "$pid" 2>/dev/null; do
	at=$(sent_at)
	[ "$at" -gt 0 ] && break
	sleep 1
done
check "run (interval 900 s) sent the reminder that fell due $((open - started)) s after start" test "$at" -gt 0
check "... not before the debtor's window opened" test "$at" -ge "$open"
check "... when it fell due, not at the interval (sent $((at - open)) s after)" test "$at" -le $((open + 60))
delivered() { bash "$top/tests/sandbox/wait-for-mail.sh" -m "$1" acme@buyer.test INBOX 1 30 >/dev/null; }
check "... to the debtor's mailbox" delivered "$(sqlite3 "$due/d.db" "SELECT m.message_id FROM message m WHERE m.kind = 'reminder' AND m.outbox_state = 'sent' LIMIT 1")"
check "info logged without -v (its activity, for the journal)" grep -q "dunmail run: watching" "$due/run.log"
# send beside run is refused, naming run (it once said "another `dunmail
# send`").
rc=0
dd send > "$due/send-beside-run.out" 2>&1 || rc=$?
check "send beside run exits 75 (EX_TEMPFAIL)" test "$rc" = 75
check "... and names run and its pid" grep -qF "\`dunmail run\` (pid $pid) is sending from this store" "$due/send-beside-run.out"
kill -TERM "$pid" 2>/dev/null
rc=0
wait "$pid" || rc=$?
pid=
check "SIGTERM: exit 0" test "$rc" = 0
check "trail verifies" dd verify >/dev/null
[ "$failed" -eq 0 ] || sed 's/^/    run.log: /' "$due/run.log" >&2

# --- run that cannot read mail fails, so systemd restarts it ------------
# Another process holds the store's poll lock: run sends its pass, then
# cannot start reading mail and must exit non-zero (it exited 0 before).
exec 9>"$due/d.db.poll.lock"
flock -n 9
rc=0
timeout 60 "$dunmail" -c "$due/d.conf" run --interval 5 > "$due/run2.log" 2>&1 || rc=$?
exec 9>&-
check "run exits non-zero when another poller holds the store (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "... and says why" grep -q "inbound:" "$due/run2.log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

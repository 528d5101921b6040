#!/usr/bin/env bash
# `[smtp] connections = 6`: one `dunmail send` run spreads 60 due
# reminders over up to one process per CPU (at most three here), each
# sending on its share of the six connections with one 'sending' commit
# per round, to Postfix's smtp-sink, which dumps every message it accepts. Each reminder must arrive exactly once, the
# outbox must say sent for all of them, the counts the run prints must
# add up over its workers, and the trail must verify. Then, on a second
# store, every process of the run dies mid-send (the crash hook, after
# the 'sending' commit, before the end of data): the next run waits for
# the lock the workers hold, settles what they left, sends the rest, and
# still nothing arrives twice.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
port=${TEST_SINK_PORT:-12527}
n=60
work=$(mktemp -d)
passed=0 failed=0
check() {
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
sink_pid=
cleanup() {
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
	[ "${KEEP_WORK:-0}" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
PATH=$PATH:/usr/sbin

python3 - "$work" "$n" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
open(os.path.join(work, "invoice.pdf"), "wb").write(b"%PDF-1.4\n% test\n" + os.urandom(2048) + b"\n%%EOF\n")
with open(os.path.join(work, "invoices.csv"), "w") as f:
    f.write("debtor_ref,debtor_name,email,language,timezone,region,invoice_number,"
            "issue_date,due_date,currency,amount,open_amount,pdf\n")
    for i in range(1, n + 1):
        f.write(f"W-{i:03d},Worker Test {i:03d},ap{i:03d}@sink.test,{'zh' if i % 3 == 0 else 'en'},UTC,,"
                f"WT-{i:03d},2026-10-17,2026-11-16,USD,{100 + i}.00,{100 + i}.00,{work}/invoice.pdf\n")
PY
cat >"$work/d.conf" <<CONF
[sender]
email = ar@vendor.test
[store]
path = $work/d.db
[templates]
dir = $top/templates
[smtp]
host = 127.0.0.1
port = $port
tls = none
allow_plaintext_loopback = yes
connections = 6
[imap]
sent_folder =
CONF
# smtp-sink runs as nobody and writes the dumps.
mkdir "$work/dump" && chmod 755 "$work" && chmod 777 "$work/dump"
smtp-sink -u nobody -d "$work/dump/%M." -c "127.0.0.1:$port" 100 >/dev/null 2>&1 &
sink_pid=$!
for _ in $(seq 1 20); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

dm() { "$dunmail" -c "$work/d.conf" "$@"; }
DUNMAIL_NOW=2026-11-02T08:00:00Z dm import invoices "$work/invoices.csv" >/dev/null
rc=0
dm -v send --now 2026-11-16T12:00:00Z >"$work/out" 2>"$work/err" || rc=$?
check "send exits 0" test "$rc" = 0
check "the run counts its workers' messages too" grep -q "send: $n sent, 0 deferred" "$work/err"
check "one 'sent' line per message" test "$(grep -c '^sent ' "$work/out")" = "$n"
sleep 0.5
got=$(grep -h -i '^message-id:' "$work"/dump/* 2>/dev/null | tr -d '\r' | sort)
check "the sink got $n messages" test "$(printf '%s\n' "$got" | grep -c .)" = "$n"
check "no Message-ID twice" test -z "$(printf '%s\n' "$got" | uniq -d)"
check "every debtor got one" test "$(grep -h '^X-Rcpt-Args:' "$work"/dump/* 2>/dev/null | sort -u | wc -l)" = "$n"
check "outbox: all sent" test "$(sqlite3 "$work/d.db" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state = 'sent'")" = "$n"
procs=$(nproc); [ "$procs" -gt 3 ] && procs=3
if [ "$procs" -gt 1 ]; then
	check "$((procs - 1)) workers took their shares" test "$(grep -c "send: worker [0-9]/$procs: " "$work/err")" = "$((procs - 1))"
	check "the shares add up" test "$(sed -n "s/.*send: \(worker\|run\) [0-9]\/$procs: \([0-9]*\) due.*/\2/p" "$work/err" | paste -sd+ | bc)" = "$n"
fi
check "trail verifies" dm verify >/dev/null
rc=0
dm send --now 2026-11-16T12:30:00Z >"$work/out2" 2>&1 || rc=$?
check "a second run sends nothing" grep -q "send: 0 sent" "$work/out2"

# Every process dies at its fifth 'sending'; the run exits non-zero.
sed "s#^path = .*#path = $work/d2.db#" "$work/d.conf" >"$work/d2.conf"
dm2() { "$dunmail" -c "$work/d2.conf" "$@"; }
DUNMAIL_NOW=2026-11-02T08:00:00Z dm2 import invoices "$work/invoices.csv" >/dev/null
rc=0
DUNMAIL_TEST_CRASH_AT=sending:5 dm2 send --now 2026-11-16T12:00:00Z >/dev/null 2>"$work/crash.err" || rc=$?
check "crashed run exits non-zero" test "$rc" != 0
# Workers may outlive the run by a moment and keep its lock: the next
# run is refused (75) until they are gone.
for _ in $(seq 1 50); do
	rc=0
	dm2 send --now 2026-11-16T12:05:00Z >/dev/null 2>"$work/after.err" || rc=$?
	[ "$rc" != 75 ] && break
	sleep 0.2
done
check "the next run completes" test "$rc" = 0
states=$(sqlite3 "$work/d2.db" "SELECT outbox_state || '=' || count(*) FROM message WHERE direction = 'out' GROUP BY outbox_state ORDER BY outbox_state" | paste -sd' ')
n_sent=$(sqlite3 "$work/d2.db" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state = 'sent'")
n_unknown=$(sqlite3 "$work/d2.db" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state = 'unknown'")
echo "# after the crash and one more run: $states"
check "every reminder sent or held for a person ($states)" test "$((n_sent + n_unknown))" = "$n"
check "some died mid-send and are held, not resent" test "$n_unknown" -ge 1
sleep 0.5
sqlite3 "$work/d2.db" "SELECT message_id FROM message WHERE direction = 'out' AND outbox_state = 'sent'" | sed 's/.*/<&>/' | sort >"$work/sent2"
grep -h -i '^message-id:' "$work"/dump/* | tr -d '\r' | sed 's/^[^<]*//' | sort >"$work/got-all"
check "every 'sent' row was delivered" test -z "$(comm -23 "$work/sent2" "$work/got-all")"
check "still no Message-ID twice" test -z "$(uniq -d "$work/got-all")"
check "trail verifies after the crash" dm2 verify >/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

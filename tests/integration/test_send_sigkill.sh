#!/usr/bin/env bash
# Crash safety of `dunmail send` against the sandbox Postfix: 40 debtors
# (sharing the sandbox's buyer mailboxes) walk through five reminder
# dates; every run is killed, by SIGKILL after a random delay or by
# _exit() at a named point (DUNMAIL_TEST_CRASH_AT), and restarted until a
# run completes. Then the debtors' Maildirs must show no message twice (by
# Message-ID, and by debtor and stage), every 'sent' row delivered, and
# every due reminder either delivered or held as 'unknown' for a person.
#
#   bash tests/integration/test_send_sigkill.sh   (needs root; DUNMAIL=binary)
#   SANDBOX_REUSE=1 SIGKILL_RANDOM=20 ...          knobs
#   SIGKILL_CONNECTIONS=4 ...                      [smtp] connections: worker
#                                                  processes and group commit
#
# Prints the counts, then "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/send_lib.sh"

RANDOM_KILLS=${SIGKILL_RANDOM:-6}   # random SIGKILLs per date
HOOKS="planned:3 sending:2 replied:4 sent:1 copied:2 planned:7 replied:9"

sandbox_up
maildir_ids >"$WORK/before.txt" # a reused sandbox has older mail
dir=$WORK/store
make_config "$dir"
conf=$dir/dunmail.conf
if [[ -n ${SIGKILL_CONNECTIONS:-} ]]; then
    sed -i "s/^\[smtp\]$/[smtp]\nconnections = $SIGKILL_CONNECTIONS/" "$conf"
    grep -q "^connections = $SIGKILL_CONNECTIONS$" "$conf" || { fail "set connections"; finish; }
fi
dm() { "$DUNMAIL" -c "$conf" "$@"; }

# 40 debtors, one invoice each, due Monday 2026-11-16, London time: the
# stages fall on 11-09, 11-16, 11-19, 11-26 and 12-16, all weekdays.
users=(acme globex initech umbrella huaxin longteng jinfeng taipei)
csv=$WORK/ledger.csv
pdf=$REPO/contrib/demo/pdf/INV-2026-0142.pdf
# A PDF outside the CSV's folder must be in [ledger] pdf_dir.
printf '[ledger]\npdf_dir = %s\n' "$REPO/contrib/demo/pdf" >>"$conf"
{
    echo "debtor_ref,debtor_name,email,language,timezone,region,invoice_number,issue_date,due_date,currency,amount,open_amount,pdf"
    for i in $(seq 1 40); do
        u=${users[$(((i - 1) % 8))]}
        printf 'K-%03d,Kill Test %03d,%s@buyer.test,en,Europe/London,GB,KT-%03d,2026-10-17,2026-11-16,GBP,%d.00,%d.00,%s\n' \
            "$i" "$i" "$u" "$i" $((100 + i)) $((100 + i)) "$pdf"
    done
} >"$csv"
export DUNMAIL_NOW=2026-11-02T08:00:00Z
dm init >/dev/null 2>&1 || true
if out=$(dm import invoices "$csv" 2>&1); then pass "import 40 debtors"; else fail "import" "$out"; finish; fi

expected=0
iterations=0
hook_kills=0
random_kills=0
for day in 2026-11-09 2026-11-16 2026-11-19 2026-11-26 2026-12-16; do
    now="${day}T12:00:00Z"
    export DUNMAIL_NOW=$now
    n=$(dm send --dry-run 2>/dev/null | grep -c '^would send' || true)
    expected=$((expected + n))
    echo "# $day: $n reminders due"
    # SIGKILL after random delays while much is due, then crashes at the
    # named points, then runs until one completes.
    for ((k = 0; k < RANDOM_KILLS; k++)); do
        iterations=$((iterations + 1))
        "$DUNMAIL" -c "$conf" send >/dev/null 2>&1 &  # not via dm(): $! must be dunmail
        pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 80 + 2)))"
        kill -9 "$pid" 2>/dev/null && random_kills=$((random_kills + 1))
        wait "$pid" 2>/dev/null
    done
    for h in $HOOKS; do
        iterations=$((iterations + 1))
        rc=0
        DUNMAIL_TEST_CRASH_AT=$h dm send >/dev/null 2>&1 || rc=$?
        [[ $rc -eq 99 ]] && hook_kills=$((hook_kills + 1))
    done
    # A temporary failure is retried after its backoff: step the clock.
    locked=0
    for ((k = 0; ; k++)); do
        iterations=$((iterations + 1))
        rc=0
        DUNMAIL_NOW=$(date -u -d "$day 12:00 UTC + $((k * 20)) minutes" +%Y-%m-%dT%H:%M:%SZ) \
            dm send >/dev/null 2>"$WORK/last.err" || rc=$?
        [[ $rc -eq 0 ]] && break
        # 75 with the lock taken: workers of a killed run still finishing.
        if [[ $rc -eq 75 ]] && grep -q "is locked" "$WORK/last.err" && ((locked++ < 50)); then
            k=$((k - 1)); sleep 0.2; continue
        fi
        echo "# $day run $k: exit $rc: $(tail -1 "$WORK/last.err")"
        [[ $k -ge 8 ]] && { fail "a clean run completes on $day (exit $rc)"; break; }
    done
done
wait_queue_empty 60 || fail "the Postfix queue drains"

ids=$WORK/delivered.txt
maildir_ids | grep -vxFf "$WORK/before.txt" >"$ids"
rows=$WORK/rows.txt
sqlite3 -separator ' ' "$dir/dunmail.db" "SELECT message_id, debtor_id, template, outbox_state FROM message WHERE direction = 'out' AND kind = 'reminder'" >"$rows"

result=$(python3 - "$ids" "$rows" <<'PY'
import collections, sys
delivered = collections.Counter(l.split()[1] for l in open(sys.argv[1]) if l.strip())
rows = {}
for l in open(sys.argv[2]):
    mid, debtor, template, state = l.split()
    rows[mid] = (debtor, template, state)
dup_mid = [m for m, n in delivered.items() if n > 1]
stranger = [m for m in delivered if m not in rows]
per_stage = collections.Counter(rows[m][:2] for m in delivered if m in rows)
dup_stage = [k for k, n in per_stage.items() if n > 1]
states = collections.Counter(r[2] for r in rows.values())
sent_missing = [m for m, r in rows.items() if r[2] == "sent" and m not in delivered]
unknown_delivered = sum(1 for m, r in rows.items() if r[2] == "unknown" and m in delivered)
covered = set(r[:2] for r in rows.values() if r[2] in ("sent", "unknown"))
print(len(delivered), len(dup_mid), len(stranger), len(dup_stage),
      states["sent"], states["unknown"], unknown_delivered, states["planned"],
      states["sending"], states["cancelled"], states["failed"], len(sent_missing), len(covered))
PY
)
read -r n_delivered dup_mid stranger dup_stage n_sent n_unknown unknown_delivered n_planned n_sending n_cancelled n_failed sent_missing covered <<<"$result"

echo "# runs: $iterations ($hook_kills killed at named points, $random_kills by SIGKILL)"
echo "# due reminders: $expected; delivered messages: $n_delivered"
echo "# outbox: sent $n_sent, unknown $n_unknown ($unknown_delivered of them delivered, $((n_unknown - unknown_delivered)) not), planned $n_planned, sending $n_sending, cancelled $n_cancelled, failed $n_failed"

[[ $iterations -ge 30 ]] && pass "at least 30 interrupted or resumed runs ($iterations)" || fail "at least 30 runs ($iterations)"
[[ $dup_mid -eq 0 ]] && pass "no Message-ID delivered twice" || fail "no Message-ID delivered twice ($dup_mid duplicates)"
[[ $dup_stage -eq 0 ]] && pass "no (debtor, stage) delivered twice" || fail "no (debtor, stage) delivered twice ($dup_stage)"
[[ $stranger -eq 0 ]] && pass "every delivered message has its outbox row" || fail "delivered messages without a row: $stranger"
[[ $sent_missing -eq 0 ]] && pass "every 'sent' row was delivered" || fail "'sent' rows not delivered: $sent_missing"
[[ $n_planned -eq 0 && $n_sending -eq 0 ]] && pass "nothing left planned or sending" || fail "left planned $n_planned, sending $n_sending"
[[ $covered -eq $expected ]] && pass "every due reminder delivered or held for a person ($covered of $expected)" \
    || fail "every due reminder delivered or held for a person ($covered of $expected)"
# Each reminder whose outcome is unknown (or failed) was also forwarded
# to the hand-off address, in the transaction that settled it.
n_forward=$(sqlite3 "$dir/dunmail.db" "SELECT count(*) FROM message WHERE direction = 'out' AND kind = 'forward'")
[[ $n_forward -eq $((n_unknown + n_failed)) ]] && pass "each unknown or failed reminder forwarded for a person ($n_forward)" \
    || fail "each unknown or failed reminder forwarded for a person" "$n_forward forwards, $n_unknown unknown, $n_failed failed"
# Sending again at the last date sends nothing.
out=$(dm send 2>&1)
grep -q " 0 sent," <<<"$out" && pass "a further run sends nothing" || fail "a further run sends nothing" "$out"
finish

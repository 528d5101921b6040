#!/usr/bin/env bash
# A full disk against the real binary and the sandbox: the store lives on
# a small tmpfs that is filled up while dunmail works. An import, a send
# and a poll each stop with an error that says the disk is full and what
# to do; nothing is half-written (verify passes, counts are unchanged);
# no message leaves without its durable outbox row; and once space is
# freed the same commands finish the work with nothing sent twice and
# nothing fetched lost.
#
#   bash tests/integration/test_disk_full.sh   (root: it mounts a tmpfs)
#
# Exits 77 (reported by ctest as skipped, not passed) when it cannot mount.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/send_lib.sh"

fs=$WORK/fs
mkdir -p "$fs"
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o size=16m,mode=0700 tmpfs "$fs" 2>/dev/null; then
    echo "# SKIP: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"
    exit 77
fi
umount_fs() { umount "$fs" 2>/dev/null || umount -l "$fs" 2>/dev/null || true; }
trap 'umount_fs; send_cleanup' EXIT

# fill KB: leave about KB kilobytes free on the tmpfs.
fill() {
    rm -f "$fs/filler"
    local avail
    avail=$(df --output=avail -k "$fs" | tail -1)
    if ((avail > $1)); then
        dd if=/dev/zero of="$fs/filler" bs=1k count=$((avail - $1)) status=none 2>/dev/null
    fi
}
unfill() { rm -f "$fs/filler"; }

sandbox_up
maildir_ids >"$WORK/before.txt"
conf=$WORK/dunmail.conf
db=$fs/dunmail.db
bash "$REPO/tests/sandbox/dunmail-config.sh" "$db" >"$conf"
dm() { "$DUNMAIL" -c "$conf" "$@"; }
q() { sqlite3 "$db" "$@"; }

# 40 debtors due Monday 2026-11-16, London: 40 before_due reminders with
# the 60 KB PDF (about 3.4 MB of mail) fall due on 2026-11-09.
users=(acme globex initech umbrella huaxin longteng jinfeng taipei)
pdf=$REPO/contrib/demo/pdf/INV-2026-0142.pdf
# A PDF outside the CSV's folder must be in [ledger] pdf_dir.
printf '[ledger]\npdf_dir = %s\n' "$REPO/contrib/demo/pdf" >>"$conf"
header="debtor_ref,debtor_name,email,language,timezone,region,invoice_number,issue_date,due_date,currency,amount,open_amount,pdf"
ledger() { # FIRST COUNT
    echo "$header"
    local i
    for ((i = $1; i < $1 + $2; i++)); do
        printf 'F-%03d,Full Disk %03d,%s@buyer.test,en,Europe/London,GB,FD-%03d,2026-10-17,2026-11-16,GBP,%d.00,%d.00,%s\n' \
            "$i" "$i" "${users[$((i % 8))]}" "$i" $((100 + i)) $((100 + i)) "$pdf"
    done
}
ledger 1 40 >"$WORK/first.csv"
ledger 41 400 >"$WORK/more.csv"

export DUNMAIL_NOW=2026-11-02T08:00:00Z
dm init >/dev/null 2>&1
if out=$(dm import invoices "$WORK/first.csv" 2>&1); then pass "import 40 debtors onto the tmpfs"; else fail "import" "$out"; finish; fi
cases0=$(q "SELECT count(*) FROM dcase")
events0=$(q "SELECT count(*) FROM event")

# --- import onto a full disk ---------------------------------------------
fill 0
rc=0
out=$(dm import invoices "$WORK/more.csv" 2>&1) || rc=$?
unfill
[[ $rc -ne 0 ]] && pass "an import onto a full disk fails (exit $rc)" || fail "an import onto a full disk fails" "$out"
grep -q "the disk is full" <<<"$out" && grep -q "free space" <<<"$out" \
    && pass "the import says the disk is full and what to do" || fail "the import's error names the full disk" "$out"
check_counts() { # WHAT
    local c e
    c=$(q "SELECT count(*) FROM dcase"); e=$(q "SELECT count(*) FROM event")
    [[ $c == "$cases0" && $e == "$events0" ]] && pass "$1: nothing half-written ($c cases, $e events)" \
        || fail "$1: nothing half-written" "cases $cases0 -> $c, events $events0 -> $e"
}
check_counts "after the failed import"
out=$(dm verify 2>&1) && pass "the trail verifies after the failed import" || fail "verify after the failed import" "$out"

# The same with a little room: the transaction grows past it mid-way.
fill 96
rc=0
out=$(dm import invoices "$WORK/more.csv" 2>&1) || rc=$?
unfill
[[ $rc -ne 0 ]] && grep -q "the disk is full" <<<"$out" \
    && pass "an import that runs out of space mid-way fails and says why" || fail "an import that runs out mid-way fails" "rc=$rc $out"
check_counts "after the import that ran out mid-way"

# --- send onto a disk that fills part-way ---------------------------------
export DUNMAIL_NOW=2026-11-09T12:00:00Z
due=$(dm send --dry-run 2>/dev/null | grep -c '^would send' || true)
[[ $due -eq 40 ]] && pass "40 reminders are due" || fail "40 reminders are due ($due)"
fill 900
rc=0
dm send >"$WORK/send1.out" 2>"$WORK/send1.err" || rc=$?
[[ $rc -ne 0 ]] && pass "a send that fills the disk stops with an error (exit $rc)" \
    || fail "a send that fills the disk stops with an error" "$(cat "$WORK/send1.out" "$WORK/send1.err")"
grep -q "the disk is full" "$WORK/send1.err" \
    && pass "the send says the disk is full" || fail "the send names the full disk" "$(tail -5 "$WORK/send1.err")"
wait_queue_empty 60 || fail "the Postfix queue drains"
first=$(grep -c '^sent ' "$WORK/send1.out" || true)
echo "# with 900 KB free: $first sent before the disk filled"
[[ $first -lt 40 ]] && pass "the disk filled before all 40 went ($first sent)" || fail "the disk filled part-way ($first of 40 sent)"
out=$(dm verify 2>&1) && pass "the trail verifies on the full disk" || fail "verify on the full disk" "$out"
unfill

# Every delivered message has a durable row that is sending, sent or
# unknown: never one still planned (that would be a send without a record).
audit() {
    maildir_ids | grep -vxFf "$WORK/before.txt" >"$WORK/delivered.txt"
    q "SELECT message_id, outbox_state FROM message WHERE direction = 'out' AND kind <> 'forward'" >"$WORK/rows.txt"
    python3 - "$WORK/delivered.txt" "$WORK/rows.txt" <<'PY'
import collections, sys
delivered = collections.Counter(l.split()[1] for l in open(sys.argv[1]) if l.strip())
rows = dict(l.strip().split("|") for l in open(sys.argv[2]) if l.strip())
dup = sum(1 for n in delivered.values() if n > 1)
norow = sum(1 for m in delivered if m not in rows)
unrecorded = sum(1 for m in delivered if rows.get(m) not in ("sending", "sent", "unknown"))
sent_missing = sum(1 for m, s in rows.items() if s == "sent" and m not in delivered)
print(len(delivered), dup, norow, unrecorded, sent_missing)
PY
}
read -r n dup norow unrecorded sent_missing <<<"$(audit)"
[[ $norow -eq 0 && $unrecorded -eq 0 ]] && pass "every delivered message has its durable row ($n delivered)" \
    || fail "delivered without a durable row" "no row $norow, not sending/sent/unknown $unrecorded"
[[ $sent_missing -eq 0 ]] && pass "every 'sent' row was delivered" || fail "'sent' rows not delivered: $sent_missing"

# Space again: the next runs finish the work.
for k in 0 1 2 3; do
    rc=0
    DUNMAIL_NOW=$(date -u -d "2026-11-09 12:00 UTC + $((k * 20)) minutes" +%Y-%m-%dT%H:%M:%SZ) \
        dm send >>"$WORK/send2.out" 2>"$WORK/send2.err" || rc=$?
    [[ $rc -eq 0 ]] && break
done
[[ $rc -eq 0 ]] && pass "with space freed a send completes" || fail "with space freed a send completes" "$(tail -3 "$WORK/send2.err")"
wait_queue_empty 60 || fail "the Postfix queue drains"
read -r n dup norow unrecorded sent_missing <<<"$(audit)"
covered=$(q "SELECT count(*) FROM message WHERE direction = 'out' AND kind = 'reminder' AND outbox_state IN ('sent', 'unknown')")
left=$(q "SELECT count(*) FROM message WHERE direction = 'out' AND kind = 'reminder' AND outbox_state IN ('planned', 'sending')")
echo "# after freeing space: $n delivered, $covered sent or unknown, $left planned or sending"
[[ $dup -eq 0 ]] && pass "no Message-ID delivered twice" || fail "Message-IDs delivered twice: $dup"
[[ $norow -eq 0 && $sent_missing -eq 0 ]] && pass "delivered and 'sent' agree" || fail "delivered and 'sent' disagree" "no row $norow, sent missing $sent_missing"
[[ $covered -eq 40 && $left -eq 0 ]] && pass "all 40 reminders sent or held for a person" || fail "all 40 sent or held ($covered, $left left)"
out=$(dm verify 2>&1) && pass "the trail verifies after the send" || fail "verify after the send" "$out"

# --- poll onto a full disk -------------------------------------------------
printf '%s\r\n' "From: <acme@buyer.test>" "To: <ar@vendor.test>" \
    "Subject: Re: FD-008" "Message-ID: <disk-full-$$-$RANDOM@buyer.test>" \
    "Date: Mon, 9 Nov 2026 13:00:00 +0000" "" \
    "We dispute invoice FD-008, the goods never arrived." >"$WORK/reply.eml"
curl -sS --max-time 15 "smtp://$SANDBOX_HOST:$SANDBOX_SMTP_PORT" --mail-from acme@buyer.test \
    --mail-rcpt ar@vendor.test --upload-file "$WORK/reply.eml" || fail "Postfix accepts the reply"
wait_queue_empty 60 || fail "the reply is delivered"
in0=$(q "SELECT count(*) FROM message WHERE direction = 'in'")
fill 0
rc=0
out=$(dm poll 2>&1) || rc=$?
[[ $rc -ne 0 ]] && grep -q "the disk is full" <<<"$out" \
    && pass "a poll onto a full disk fails and says why (exit $rc)" || fail "a poll onto a full disk fails and says why" "rc=$rc $out"
unfill
in1=$(q "SELECT count(*) FROM message WHERE direction = 'in'")
[[ -n $in1 && $in1 == "$in0" ]] && pass "nothing half-stored by the failed poll ($in1 replies)" || fail "nothing half-stored by the failed poll ($in0 -> $in1)"
out=$(dm poll 2>&1) && pass "with space freed the poll completes" || fail "with space freed the poll completes" "$out"
got=$(q "SELECT c.class FROM message m JOIN classification c ON c.message_id = m.id WHERE m.direction = 'in' AND m.subject = 'Re: FD-008'")
[[ $got == dispute ]] && pass "the reply fetched after the full disk is stored and classified ($got)" \
    || fail "the reply is stored and classified after the full disk" "class [$got]; $out"
out=$(dm verify 2>&1) && pass "the trail verifies at the end" || fail "verify at the end" "$out"
finish

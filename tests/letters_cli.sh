#!/usr/bin/env bash
# The letters through the real binary, without a mail server: the issue's
# ledger (one debtor, invoices due 1 Nov, 25 Nov, 11 Dec and 16 Dec 2026,
# never written to) on Friday 11 December, a holiday on 18 December.
#   - `send --dry-run --json`: one message, each invoice at its own stage
#     (no final notice), the not-yet-due one not overdue;
#   - `preview --stage final_notice`: the deadline skips the holiday and
#     the weekend; the plain part has no Markdown;
#   - `preview --stage promise_confirm` without a promise exits 65 naming
#     the missing value.
#   DUNMAIL=build/dunmail bash tests/letters_cli.sh
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DUNMAIL:?DUNMAIL=path/to/dunmail}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
ok() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; [[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/       /'; failed=$((failed + 1)); }
check_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1" "expected [$3], got [$2]"; fi; }

cd "$work" || exit 1
"$DUNMAIL" -c "$work/dunmail.conf" init >/dev/null 2>&1 || { echo "init failed"; exit 1; }
sed -i "s|^dir = .*|dir = $here/../templates|; s|^\* = .*|* = 2026-12-18, 2026-12-25, 2027-01-01|" dunmail.conf
mkdir pdf && cp "$here/../contrib/demo/pdf/INV-2026-0142.pdf" pdf/a.pdf
{
	echo "debtor_ref,debtor_name,email,language,timezone,region,invoice_number,issue_date,due_date,currency,amount,open_amount,pdf"
	echo "CUST-9001,Globex GmbH,ap@globex.test,en,Europe/Berlin,DE,INV-1101,2026-10-02,2026-11-01,EUR,1200.00,1200.00,pdf/a.pdf"
	echo "CUST-9001,Globex GmbH,ap@globex.test,en,Europe/Berlin,DE,INV-1125,2026-10-26,2026-11-25,EUR,2500.00,2500.00,pdf/a.pdf"
	echo "CUST-9001,Globex GmbH,ap@globex.test,en,Europe/Berlin,DE,INV-1211,2026-11-11,2026-12-11,EUR,800.00,800.00,pdf/a.pdf"
	echo "CUST-9001,Globex GmbH,ap@globex.test,en,Europe/Berlin,DE,INV-1216,2026-11-16,2026-12-16,EUR,450.00,450.00,pdf/a.pdf"
} >invoices.csv
dm() { "$DUNMAIL" -c "$work/dunmail.conf" "$@"; }
if out=$(dm lint 2>&1) && out=$(dm import invoices invoices.csv 2>&1); then ok "lint and import"; else bad "lint and import" "$out"; fi

now=2026-12-11T09:30:00Z
json=$(dm --now $now send --dry-run --json 2>"$work/err")
check_eq "send --dry-run --json: one message" "$(printf '%s\n' "$json" | grep -c .)" 1
got=$(printf '%s\n' "$json" | python3 -c '
import json, sys
m = json.loads(sys.stdin.readline())
keys = list(m)
print(keys == ["debtor_ref", "template", "to", "subject", "at", "invoices"])
print(m["template"], m["to"], m["at"])
for i in m["invoices"]:
    print(list(i) == ["invoice", "stage", "due_date", "days_overdue", "open_amount", "currency"],
          i["invoice"], i["stage"], i["due_date"], i["days_overdue"], i["open_amount"], i["currency"])
')
check_eq "the message: each invoice at its own stage, none a final notice" "$got" "True
overdue_1 ['ap@globex.test'] 2026-12-11T09:30:00Z
True INV-1101 overdue_1 2026-11-01 40 1200.00 EUR
True INV-1125 overdue_1 2026-11-25 16 2500.00 EUR
True INV-1211 due_today 2026-12-11 0 800.00 EUR
True INV-1216 before_due 2026-12-16 0 450.00 EUR"

eml=$(dm --now $now preview INV-1101 2>/dev/null)
plain=$(printf '%s' "$eml" | python3 -c '
import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print(m["Subject"])
print(m.get_body(("plain",)).get_content())')
check_eq "subject names only the overdue invoices" "$(printf '%s\n' "$plain" | head -n1)" \
	"Payment reminder: INV-1101, INV-1125 now overdue [ref:$(printf '%s\n' "$plain" | head -n1 | sed 's/.*\[ref:\(DUN-[A-Z0-9]*\)\].*/\1/')]"
if printf '%s\n' "$plain" | grep -q '^INV-1216  16 December 2026  due in 5 days'; then ok "the not-yet-due invoice: due in 5 days"; else bad "the not-yet-due invoice: due in 5 days" "$plain"; fi
if printf '%s\n' "$plain" | grep -q 'INV-1216.*overdue'; then bad "INV-1216 is never called overdue"; else ok "INV-1216 is never called overdue"; fi
if printf '%s\n' "$plain" | grep -qF '**'; then bad "no Markdown in the plain part"; else ok "no Markdown in the plain part"; fi

fin=$(dm --now $now preview INV-1101 --stage final_notice 2>/dev/null | python3 -c '
import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print(m["Subject"].split(" [ref:")[0])')
check_eq "final deadline: 18 Dec is a holiday, 19-20 the weekend" "$fin" \
	"Final notice: EUR 3,700.00 to be paid by 21 December 2026"

# Each invoice at its own stage inside one letter: a final notice for
# INV-1101 names INV-1125 (at its first overdue reminder) apart, outside
# the part the deadline's consequences speak of, and asks for the sum.
plain=$(dm --now $now preview INV-1101 --stage final_notice 2>/dev/null | python3 -c '
import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print(m.get_body(("plain",)).get_content())')
order=$(printf '%s\n' "$plain" | grep -o -e '^INV-1101 ' -e '^INV-1125 ' -e 'does not yet apply' -e 'full amount of EUR 3,700.00' | tr '\n' '|')
check_eq "final notice: INV-1125 worded apart, after the final part; the sum asked" "$order" \
	"INV-1101 |does not yet apply|INV-1125 |full amount of EUR 3,700.00|"

dm --now $now preview INV-1101 --stage promise_confirm >/dev/null 2>"$work/err"
rc=$?
check_eq "preview --stage promise_confirm without a promise exits 65" "$rc" 65
if grep -q "required value 'promised_date' is empty" "$work/err"; then ok "... naming promised_date"; else bad "... naming promised_date" "$(cat "$work/err")"; fi

echo "$failed failed"
[[ $failed -eq 0 ]]

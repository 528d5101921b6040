#!/usr/bin/env bash
# The real binary on the demo ledger: importing it twice yields the same
# store; a CSV with one bad row in the middle imports nothing and names the
# file, line and column; the CLI describes every command.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {
	local what=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what" >&2
	fi
}

cd "$work"
cat > dunmail.conf <<CONF
[store]
path = $work/dunmail.db
[templates]
dir = $top/templates
CONF
dm() { "$dunmail" -c "$work/dunmail.conf" "$@"; }
dump() { sqlite3 "$work/dunmail.db" .dump; }

check "init" dm init >/dev/null
check "store is private" test "$(stat -c %a "$work/dunmail.db")" = 600
export DUNMAIL_NOW=2026-11-02T08:00:00Z
check "first import" dm import invoices "$top/contrib/demo/invoices.csv" >out1
check "18 new invoices" grep -q "18 new invoices" out1
dump > dump1
check "second import" dm import invoices "$top/contrib/demo/invoices.csv" >out2
check "second import changes nothing" grep -q "0 new invoices, 0 updated, 18 unchanged" out2
dump > dump2
check "store identical after re-import" cmp -s dump1 dump2
check "17 open cases" test "$(dm cases --json | wc -l)" = 17

# One bad row in the middle of an otherwise good file.
{
	head -n 4 "$top/contrib/demo/invoices.csv"
	echo "CUST-9999,Broken Ltd,broken@buyer.test,en,Europe/London,GB,INV-2026-9999,2026-11-01,2026-11-30,GBP,12.345,12.345,"
	echo "CUST-9998,Fresh Ltd,fresh@buyer.test,en,Europe/London,GB,INV-2026-9998,2026-11-01,2026-11-30,GBP,10.00,10.00,"
} > bad.csv
rc=0
dm import invoices bad.csv >bad.out 2>bad.err || rc=$?
check "bad import exits 65 (EX_DATAERR)" test "$rc" = 65
check "names file:line: column" grep -q "^bad.csv:5: amount: amount '12.345' has more decimals than GBP allows" bad.err
check "says nothing was imported" grep -q "nothing was imported" bad.err
not() { ! "$@"; }
check "good row after it not imported" not dm show INV-2026-9998 2>/dev/null
dump > dump3
check "store untouched by the bad import" cmp -s dump2 dump3

# Payments close what they clear, once.
export DUNMAIL_NOW=2026-11-26T08:00:00Z
check "payments" dm import payments "$top/contrib/demo/payments.csv" >pay1
check "three cases closed" grep -q "3 cases closed" pay1
check "payments again" dm import payments "$top/contrib/demo/payments.csv" >pay2
check "payments idempotent" grep -q "0 new payments, 4 already known" pay2
dm show INV-2026-0146 > show.out
check "closed case shows its trail" grep -q "a payment cleared the invoice" show.out

# The CLI explains itself.
check "--version" sh -c "$dunmail --version | grep -q '^dunmail '"
for verb in $("$dunmail" --help | awk '/^Commands:/{on=1;next} on && /^  [a-z]/{print $1} /^$/{if(on)exit}'); do
	check "help $verb" sh -c "$dunmail help $verb | grep -q '^usage: dunmail $verb'"
done
rc=0; "$dunmail" frobnicate 2>/dev/null || rc=$?
check "unknown command exits 64 (EX_USAGE)" test "$rc" = 64
rc=0; "$dunmail" -c /nonexistent/x.conf cases 2>/dev/null || rc=$?
check "missing config exits 78 (EX_CONFIG)" test "$rc" = 78

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

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

# An empty file is named at its first line.
: > empty.csv
dm import invoices empty.csv >/dev/null 2>empty.err
check "empty file named at line 1" grep -q "^empty.csv:1: the file is empty" empty.err

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

# A store made readable by others is made private again.
chmod 644 "$work/dunmail.db"
dm cases >/dev/null
check "store made 0600 again" test "$(stat -c %a "$work/dunmail.db")" = 600

# Commands that read need the store: a wrong [store] path is not taken for
# an empty ledger, and no empty store is left behind.
cat > nostore.conf <<CONF
[store]
path = $work/typo.db
[templates]
dir = $top/templates
CONF
for args in cases "show INV-2026-0142" queue verify plan \
    "preview INV-2026-0142" "export INV-2026-0142 $work/bundle"; do
	rc=0
	# shellcheck disable=SC2086
	"$dunmail" -c nostore.conf $args >/dev/null 2>nostore.err || rc=$?
	check "$args without a store exits 66 (EX_NOINPUT)" test "$rc" = 66
	check "$args says to run dunmail init" grep -q "typo.db does not exist; run \`dunmail init\`" nostore.err
done
check "no store was created" test ! -e "$work/typo.db"

# A fresh folder: init, then lint passes with the templates dunmail ships.
mkdir fresh other
check "init in an empty folder" sh -c "cd '$work/fresh' && '$dunmail' init >/dev/null"
check "then lint exits 0" sh -c "cd '$work/fresh' && '$dunmail' lint >/dev/null"
check "init --store PATH" sh -c "cd '$work/other' && '$dunmail' init --store ar.db >/dev/null"
check "the config names that store" grep -qx "path = $work/other/ar.db" other/dunmail.conf
check "the store is there" test -f other/ar.db
check "and no other" test ! -e other/dunmail.db

# One lint run reports the config's problems and the templates' too, each
# at its line.
cat > broken.conf <<CONF
[sender]
email = a..b@buyer.test
[templates]
dir = $work/no-templates
CONF
rc=0; "$dunmail" -c broken.conf lint >/dev/null 2>broken.err || rc=$?
check "broken config: lint exits 78" test "$rc" = 78
check "broken config: the address at its line" grep -q "^broken.conf:2: \[sender\] email 'a..b@buyer.test' is not an address" broken.err
check "broken config: the templates dir at its line" grep -q "^broken.conf:4: \[templates\] dir $work/no-templates cannot be read" broken.err

# -T all and DUNMAIL_TRACE=all trace every category.
reply=$(find "$top/tests/data/replies" -name '*-paid-*.eml' | sort | head -n 1)
check "-T all" sh -c "'$dunmail' -T all classify '$reply' 2>&1 >/dev/null | grep -q 'trace:'"
check "DUNMAIL_TRACE=all" sh -c "DUNMAIL_TRACE=all '$dunmail' classify '$reply' 2>&1 >/dev/null | grep -q 'trace:'"

# The CLI explains itself: `dunmail VERB --help` is `dunmail help VERB`
# and runs nothing.
check "--version" sh -c "$dunmail --version | grep -q '^dunmail '"
for verb in $("$dunmail" --help | awk '/^Commands:/{on=1;next} on && /^  [a-z]/{print $1} /^$/{if(on)exit}'); do
	check "help $verb" sh -c "$dunmail help $verb | grep -q '^usage: dunmail $verb'"
	check "$verb --help" sh -c "$dunmail -c '$work/broken.conf' $verb --help | grep -q '^usage: dunmail $verb'"
	check "$verb -h" sh -c "$dunmail -c '$work/broken.conf' $verb -h >/dev/null"
done
check "lint --help lints nothing" sh -c "out=\$($dunmail -c '$work/broken.conf' lint --help 2>&1) && ! printf '%s' \"\$out\" | grep -q 'broken.conf:'"
rc=0; "$dunmail" frobnicate 2>/dev/null || rc=$?
check "unknown command exits 64 (EX_USAGE)" test "$rc" = 64
rc=0; "$dunmail" -c /nonexistent/x.conf cases 2>/dev/null || rc=$?
check "missing config exits 78 (EX_CONFIG)" test "$rc" = 78

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

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

# Input hygiene: a control character in any field, an address send
# cannot write, an over-long name or a PDF that is not a regular file in
# the CSV's folder is refused at FILE:LINE: column, and nothing is
# imported. Under `timeout`: a FIFO named .pdf once hung the import.
hdr="debtor_ref,debtor_name,email,language,timezone,region,invoice_number,issue_date,due_date,currency,amount,open_amount,pdf"
row() { # NAME EMAIL NUMBER PDF
	printf '%s\nH-1,%s,%s,en,UTC,,%s,2026-11-01,2026-11-30,GBP,1.00,1.00,%s\n' "$hdr" "$1" "$2" "$3" "$4"
}
refused() { # CSV NEEDLE: exits 65 within 10 s and says NEEDLE
	local rc=0
	timeout 10 "$dunmail" -c "$work/dunmail.conf" import invoices "$1" >/dev/null 2>"$1.err" || rc=$?
	test "$rc" = 65 && grep -qF -- "$2" "$1.err"
}
row "Nul Ltd" $'a@x.test\\0.evil.test' INV-H1 "" | sed 's/\\0/\x00/' > nul.csv
check "NUL in an address" refused nul.csv "nul.csv:2: email: contains a control character (U+0000, NUL) at character 9"
row "Esc Ltd" a@x.test $'INV-\e[2J' "" > esc.csv
check "ESC in an invoice number" refused esc.csv "esc.csv:2: invoice_number: contains a control character (U+001B, ESC)"
row $'Csi\xc2\x9bLtd' a@x.test INV-H1 "" > c1.csv
check "C1 in a name" refused c1.csv "c1.csv:2: debtor_name: contains a control character (U+009B, a C1 control)"
row $'Line\xe2\x80\xa8Sep' a@x.test INV-H1 "" > ls.csv
check "U+2028 in a name" refused ls.csv "ls.csv:2: debtor_name: contains a control character (U+2028, LINE SEPARATOR)"
row $'"Two\nLines"' a@x.test INV-H1 "" > lf.csv
check "a line break in a quoted name" refused lf.csv "lf.csv:2: debtor_name: contains a control character (U+000A, LF"
row "Bücher GmbH" "ü@bücher.test" INV-H1 "" > idn.csv
check "non-ASCII address refused, as send cannot write it" refused idn.csv "idn.csv:2: email: 'ü@bücher.test' has characters outside ASCII"
row "$(printf 'Long%.0s' {1..51})" a@x.test INV-H1 "" > long.csv
check "a 204-character name" refused long.csv "long.csv:2: debtor_name: 204 characters; a name is at most 200"
mkdir ledger outside
printf '%%PDF-1.4\n%% outside\n' > outside/o.pdf
ln -s ../outside/o.pdf ledger/link.pdf
mkfifo ledger/fifo.pdf
row "Fifo Ltd" a@x.test INV-H1 fifo.pdf > ledger/fifo.csv
check "a FIFO named .pdf is refused, not waited on" refused ledger/fifo.csv "ledger/fifo.csv:2: pdf: $work/ledger/fifo.pdf is not a regular file (a FIFO)"
row "Up Ltd" a@x.test INV-H1 ../outside/o.pdf > ledger/up.csv
check "a ../ path" refused ledger/up.csv "ledger/up.csv:2: pdf: '../outside/o.pdf' has a '..' step"
row "Abs Ltd" a@x.test INV-H1 "$work/outside/o.pdf" > ledger/abs.csv
check "an absolute path outside the folder" refused ledger/abs.csv "ledger/abs.csv:2: pdf: '$work/outside/o.pdf' is $work/outside/o.pdf, outside the CSV file's folder"
row "Link Ltd" a@x.test INV-H1 link.pdf > ledger/link.csv
check "a symbolic link out of the folder" refused ledger/link.csv "ledger/link.csv:2: pdf: 'link.pdf' is $work/outside/o.pdf, outside the CSV file's folder"
dump > dump_hygiene
check "store untouched by the refused imports" cmp -s dump2 dump_hygiene

# [ledger] pdf_dir allows the one other folder; a store holding an ESC
# from before these checks still prints none to the terminal.
cat > pdfdir.conf <<CONF
[store]
path = $work/pdfdir.db
[templates]
dir = $top/templates
[ledger]
pdf_dir = $work/outside
CONF
check "pdf_dir: the link into it imports" "$dunmail" -c pdfdir.conf import invoices ledger/link.csv >/dev/null
sqlite3 "$work/pdfdir.db" "UPDATE invoice SET number = 'INV-' || char(27) || ']0;owned' || char(7) || char(27) || '[2J'"
"$dunmail" -c pdfdir.conf cases >cases_esc.out 2>&1
"$dunmail" -c pdfdir.conf plan >plan_esc.out 2>&1
check "cases prints no ESC" not grep -q $'\e' cases_esc.out
check "cases shows it as ?" grep -qF 'INV-?]0;owned??[2J' cases_esc.out
check "plan prints no ESC" not grep -q $'\e' plan_esc.out
check "plan shows it as ?" grep -qF 'INV-?]0;owned??[2J' plan_esc.out
# A contact imported before addresses had to be ASCII is no address to
# send to: the case waits (stopped) instead of failing every send.
sqlite3 "$work/pdfdir.db" "UPDATE contact SET email = 'ü@bücher.test'"
"$dunmail" -c pdfdir.conf plan --now 2026-11-30T12:00:00Z >plan_idn.out 2>&1
check "plan: a non-ASCII contact is no valid contact address" grep -q "stopped: no valid contact address" plan_idn.out
rc=0; "$dunmail" -c pdfdir.conf send --dry-run --now 2026-11-30T12:00:00Z >send_idn.out 2>&1 || rc=$?
check "send --dry-run with it exits 0 (it exited 65 at every send)" test "$rc" = 0

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

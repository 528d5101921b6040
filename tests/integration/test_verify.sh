#!/usr/bin/env bash
# The real binary: `verify` passes an intact trail and catches an edited
# event, a deleted event and two reordered events (each on a fresh copy of
# the store); `export` writes a bundle that sha256sum -c and its own
# checker accept, and `resolve` records the operator and note.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
not() { ! "$@"; }

cd "$work"
printf '[store]\npath = %s/dunmail.db\n[templates]\ndir = %s/templates\n[sender]\noperator = alice\n' "$work" "$top" > dunmail.conf
dm() { "$dunmail" -c "$work/dunmail.conf" "$@"; }

DUNMAIL_NOW=2026-11-02T08:00:00Z dm import invoices "$top/contrib/demo/invoices.csv" >/dev/null
DUNMAIL_NOW=2026-11-20T03:00:00Z dm resolve INV-2026-0158 --action hold-until 2026-12-01 --note "agreed by phone" > resolve.out
check "resolve reports the move" grep -q "upcoming -> on_hold" resolve.out
dm show INV-2026-0158 > show.out
check "operator and note in the trail" grep -q '"operator":"alice","note":"agreed by phone"' show.out
check "intact trail verifies" dm verify >/dev/null
dm export INV-2026-0158 bundle > /dev/null
check "bundle: sha256sum -c" sh -c "cd bundle && sha256sum -c --quiet SHA256SUMS"
check "bundle: verify.py" sh -c "cd bundle && python3 verify.py >/dev/null"
check "export refuses to overwrite" not dm export INV-2026-0158 bundle 2>/dev/null

tamper() {
	cp dunmail.db tampered.db
	sqlite3 tampered.db "$1"
	printf '[store]\npath = %s/tampered.db\n' "$work" > tampered.conf
	rc=0
	"$dunmail" -c tampered.conf verify > verify.out 2> verify.err || rc=$?
}

tamper "DROP TRIGGER event_no_update; UPDATE event SET detail = replace(detail, '126500.00', '1.00') WHERE seq = 6"
check "edited event: exit 65" test "$rc" = 65
check "edited event named" grep -q "event 6 (imported) was altered" verify.err
tamper "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = 10"
check "deleted event: exit 65" test "$rc" = 65
check "deleted event named" grep -q "event 10 is missing" verify.err
tamper "DROP TRIGGER event_no_update; UPDATE event SET seq = -1 WHERE seq = 3; UPDATE event SET seq = 3 WHERE seq = 4; UPDATE event SET seq = 4 WHERE seq = -1"
check "reordered events: exit 65" test "$rc" = 65
check "reordered events named" grep -q "event 3 does not follow event 2" verify.err
# A bundle whose event was edited is caught by its own checker.
sed -i 's/agreed by phone/agreed by post/' bundle/events.jsonl
check "edited bundle caught by verify.py" not sh -c "cd bundle && python3 verify.py >/dev/null"
check "edited bundle caught by sha256sum" not sh -c "cd bundle && sha256sum -c --quiet SHA256SUMS 2>/dev/null"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# verify proves the state: a store built by a real run (import, a
# reminder sent through the sandbox, a dispute, a promise and an opt-out
# polled over IMAP, a person's hold) verifies; then each state table gets
# one edit per copy of the store, made as an attacker with the file would
# (the guard triggers dropped first), and verify exits 65 naming the
# table, the row and the column. The untouched copy still verifies. An
# export from an edited copy carries none of the edits.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=send_lib.sh
source "$here/send_lib.sh"
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
not() { ! "$@"; }

sandbox_up
make_config "$WORK"
cd "$WORK" || exit 1
dm() { "$DUNMAIL" -c "$WORK/dunmail.conf" "$@"; }
q() { sqlite3 dunmail.db "$@"; }

DUNMAIL_NOW=2026-11-02T08:00:00Z dm import invoices "$REPO/contrib/demo/invoices.csv" >/dev/null || fail "import"
dm send --now 2026-11-09T01:30:00Z >send.out 2>&1 || fail "send exits 0" "$(cat send.out)"

# Replies from the debtors' own addresses, through Postfix into the AR
# mailbox: a dispute naming an invoice, a promise with a date, an opt-out.
U=$(date +%s%N)-$$
reply() { # KEY FROM SUBJECT TEXT
	printf '%s\r\n' "From: $2" "To: ar@vendor.test" "Subject: $3" \
		"Message-ID: <$1-$U@buyer.test>" "Date: Fri, 20 Nov 2026 08:00:00 +0000" \
		"Content-Type: text/plain; charset=utf-8" "" "$4" >"$1.eml"
	curl -sS --max-time 15 "smtp://$SANDBOX_HOST:$SANDBOX_SMTP_PORT" --mail-from "$2" \
		--mail-rcpt ar@vendor.test --upload-file "$1.eml" || fail "Postfix accepts $1"
}
reply globex globex@buyer.test "RE: Invoice INV-2026-0177" "We dispute INV-2026-0177: the goods were returned."
reply acme acme@buyer.test "Re: Payment reminder INV-2026-0142" "We will pay INV-2026-0142 by 30 November 2026."
reply umbrella umbrella@buyer.test "Your emails" "Please stop emailing us. Unsubscribe."
for k in globex acme umbrella; do
	bash "$REPO/tests/sandbox/wait-for-mail.sh" -m "$k-$U@buyer.test" ar@vendor.test INBOX 1 30 >/dev/null ||
		fail "$k delivered to INBOX"
done
dm poll --now 2026-11-20T09:00:00Z >poll.out 2>&1 || fail "poll exits 0" "$(cat poll.out)"
DUNMAIL_NOW=2026-11-20T10:00:00Z dm resolve INV-2026-0158 --action hold-until 2026-12-01 \
	--note "agreed by phone" >/dev/null || fail "resolve"

case_of() { q "SELECT c.id FROM dcase c JOIN invoice i ON i.id = c.invoice_id WHERE i.number = '$1'"; }
msg_of() { q "SELECT id FROM message WHERE message_id = '$1-$U@buyer.test'"; }
check "the dispute was polled and handed off" test "$(q "SELECT count(*) FROM handoff WHERE reason = 'dispute' AND resolved_at = 0")" -ge 1
check "the promise has its date" test "$(q "SELECT promised_on FROM dcase WHERE id = $(case_of INV-2026-0142)")" = 2026-11-30
check "umbrella opted out" test "$(q "SELECT opted_out FROM debtor WHERE ref = 'CUST-1004'")" = 1
check "INV-2026-0158 is held" test "$(q "SELECT hold_until > 0 FROM dcase WHERE id = $(case_of INV-2026-0158)")" = 1
check "the real run verifies" dm verify
dm verify >verify.out 2>&1
check "verify says the state matches the trail" grep -q "^state ok: [0-9]* rows" verify.out

# tamper WHAT SQL NAMED: one edit on a fresh copy; verify must exit 65 and
# its message must hold NAMED.
tamper() {
	local what=$1 sql=$2 named=$3 rc=0
	rm -f t.db t.db-wal t.db-shm
	sqlite3 dunmail.db ".backup t.db"
	sqlite3 t.db "DROP TRIGGER IF EXISTS event_no_update; DROP TRIGGER IF EXISTS event_no_delete;
		DROP TRIGGER IF EXISTS blob_no_update; DROP TRIGGER IF EXISTS blob_no_delete; $sql" ||
		{ fail "$what: the edit applies"; return; }
	printf '[store]\npath = %s/t.db\n' "$WORK" >t.conf
	"$DUNMAIL" -c t.conf verify >t.out 2>t.err || rc=$?
	if [[ $rc == 65 ]] && grep -qF -- "$named" t.err; then
		pass "$what: verify exits 65 naming it"
	else
		fail "$what: verify exits 65 naming it" "rc $rc, wanted \"$named\" in: $(cat t.err t.out)"
	fi
}

c0177=$(case_of INV-2026-0177) c0142=$(case_of INV-2026-0142) c0158=$(case_of INV-2026-0158)
c0150=$(case_of INV-2026-0150)
tamper "dcase: a disputed case closed" "UPDATE dcase SET state = 'closed' WHERE id = $c0177" \
	"dcase $c0177 (INV-2026-0177): state is \"closed\" in the store, \"disputed\" from the trail"
tamper "dcase: next action" "UPDATE dcase SET next_action = 'none' WHERE id = $c0150" \
	"dcase $c0150 (INV-2026-0150): next_action is \"none\" in the store"
tamper "dcase: promise moved a year on" "UPDATE dcase SET promised_on = '2027-10-30' WHERE id = $c0142" \
	"dcase $c0142 (INV-2026-0142): promised_on is \"2027-10-30\" in the store, \"2026-11-30\""
tamper "dcase: hold lifted" "UPDATE dcase SET hold_until = 0 WHERE id = $c0158" \
	"dcase $c0158 (INV-2026-0158): hold_until is 0 in the store"
tamper "dcase: stage sent" "UPDATE dcase SET stage_sent = -1 WHERE id = $c0158" \
	"dcase $c0158 (INV-2026-0158): stage_sent is -1 in the store"
acme=$(q "SELECT id FROM contact WHERE email = 'acme@buyer.test'")
tamper "contact: address changed to the attacker's" "UPDATE contact SET email = 'evil@attacker.test' WHERE id = $acme" \
	"contact $acme (evil@attacker.test): email is \"evil@attacker.test\" in the store, \"acme@buyer.test\""
globex=$(q "SELECT id FROM contact WHERE email = 'globex@buyer.test'")
tamper "contact: marked invalid" "UPDATE contact SET invalid = 1 WHERE id = $globex" \
	"contact $globex (globex@buyer.test): invalid is 1 in the store, 0"
tamper "contact: one added" "INSERT INTO contact (debtor_id, email, position) SELECT debtor_id, 'evil@attacker.test', -1 FROM contact WHERE id = $acme" \
	"(evil@attacker.test) is in the store, but no event of the trail wrote it"
i0150=$(q "SELECT id FROM invoice WHERE number = 'INV-2026-0150'")
tamper "invoice: open amount zeroed" "UPDATE invoice SET ledger_open_minor = 0 WHERE id = $i0150" \
	"invoice $i0150 (INV-2026-0150): ledger_open_minor is 0 in the store, 740000"
h=$(q "SELECT id FROM handoff WHERE reason = 'dispute' AND resolved_at = 0 ORDER BY id LIMIT 1")
tamper "handoff: marked resolved" "UPDATE handoff SET resolved_at = 1795000000, resolution = 'dismiss' WHERE id = $h" \
	"handoff $h (dispute): resolved_at is 1795000000 in the store, 0"
tamper "handoff: deleted" "DELETE FROM handoff WHERE id = $h" \
	"handoff $h is not in the store, but event"
mg=$(msg_of globex)
tamper "message: class rewritten" "UPDATE message SET class = 'paid' WHERE id = $mg" \
	"message $mg (in reply): class is \"paid\" in the store, \"dispute\""
tamper "message: subject and sender rewritten" "UPDATE message SET subject = 'Thanks', from_addr = 'evil@attacker.test' WHERE id = $mg" \
	"message $mg (in reply): subject is \"Thanks\" in the store"
c0142=$(case_of INV-2026-0142)
tamper "message_case: linked to another debtor's case" "INSERT INTO message_case (message_id, case_id) VALUES ($mg, $c0142)" \
	"(message $mg, case $c0142) is in the store, but no event of the trail wrote it"
tamper "message_case: moved to another case" "UPDATE message_case SET case_id = $c0142 WHERE message_id = $mg" \
	"case_id is $c0142 in the store, $c0177 from the trail"
tamper "debtor: opt-out lifted" "UPDATE debtor SET opted_out = 0 WHERE ref = 'CUST-1004'" \
	"(CUST-1004): opted_out is 0 in the store, 1 from the trail"

# export builds its bundle from the events and the stored bytes, never
# from the editable tables: another debtor's reply linked to acme's case,
# and acme's own reply given a new subject, sender and class, change
# nothing in acme's bundle (and its README says the store did not verify).
rm -f t.db t.db-wal t.db-shm
sqlite3 dunmail.db ".backup t.db"
ma=$(msg_of acme)
sqlite3 t.db "INSERT INTO message_case (message_id, case_id) VALUES ($mg, $c0142);
	UPDATE message SET subject = 'Forged subject', from_addr = 'evil@attacker.test', class = 'paid' WHERE id = $ma;"
"$DUNMAIL" -c t.conf export INV-2026-0142 edited-bundle >/dev/null 2>&1 || fail "export from the edited copy"
dm export INV-2026-0142 clean-bundle >/dev/null 2>&1 || fail "export from the store"
check "export: the linked reply of another debtor is not in the bundle" \
	not grep -rqs "goods were returned" edited-bundle/messages
check "export: the edited subject, sender and class are not in the bundle" \
	not grep -Eqs "Forged subject|evil@attacker.test|classified as paid" edited-bundle/timeline.md
check "export: the timeline is the one the untouched store gives" \
	cmp -s <(grep -v '^$' clean-bundle/timeline.md) <(grep -v '^$' edited-bundle/timeline.md)
check "export: the bundle from the edited copy checks on its own (python3 verify.py)" \
	sh -c "cd edited-bundle && python3 verify.py >/dev/null"
check "export: ... and its README says the store did not verify" grep -q "did NOT verify" edited-bundle/README.txt
check "export: the promise and its reply are in the clean bundle" \
	grep -q "classified as promise_to_pay" clean-bundle/timeline.md

# A copy nobody touched still verifies.
rm -f t.db t.db-wal t.db-shm
sqlite3 dunmail.db ".backup t.db"
check "the untouched copy verifies (rc 0)" "$DUNMAIL" -c t.conf verify

finish

#!/usr/bin/env bash
# The real binary: `verify` passes an intact trail and catches an edited
# event, a deleted event, two reordered events, a stored message deleted
# and a tail cut off (by the messages left without events, by the state
# rows its events had changed, or with --head, by the head recorded
# before); `export` writes a bundle that
# sha256sum -c and its own checker accept, and the checker catches an
# event of the case removed from it, an edited message and an edited
# timeline (it writes it again from the events); export follows no
# symbolic link planted where it writes; `resolve`
# records the operator and note. The reminders go out through the mail
# sandbox, so the store holds real messages.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=send_lib.sh
source "$here/send_lib.sh"
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
not() { ! "$@"; }

sandbox_up
make_config "$WORK"
sed -i 's/^\[sender\]$/&\noperator = alice/' "$WORK/dunmail.conf"
cd "$WORK" || exit 1
dm() { "$DUNMAIL" -c "$WORK/dunmail.conf" "$@"; }

DUNMAIL_NOW=2026-11-02T08:00:00Z dm import invoices "$REPO/contrib/demo/invoices.csv" >/dev/null
# INV-2026-0158's first reminder (01:30Z is in Shanghai's window).
dm send --now 2026-11-09T01:30:00Z >send.out 2>&1 || fail "send exits 0" "$(cat send.out)"
DUNMAIL_NOW=2026-11-20T03:00:00Z dm resolve INV-2026-0158 --action hold-until 2026-12-01 --note "agreed by phone" > resolve.out
check "resolve reports the move" grep -q "upcoming -> on_hold" resolve.out
dm show INV-2026-0158 > show.out
check "operator and note in the trail" grep -q '"operator":"alice","note":"agreed by phone"' show.out
sha=$(sqlite3 dunmail.db "SELECT m.sha256 FROM message m JOIN message_case mc ON mc.message_id = m.id JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id WHERE i.number = 'INV-2026-0158' AND m.outbox_state = 'sent'")
check "INV-2026-0158's reminder was sent and stored" test -n "$sha"
check "every event about a message hashes it" test "$(sqlite3 dunmail.db "SELECT count(*) FROM event WHERE message_id > 0 AND message_sha256 = ''")" = 0
check "intact trail verifies" sh -c "'$DUNMAIL' -c '$WORK/dunmail.conf' verify > verify.out"
head=$(sed -n 's/^head //p' verify.out)
check "verify prints the head" grep -Eq '^[0-9]+:[0-9a-f]{64}$' <<<"$head"
check "verify --head of the current head" dm verify --head "$head" >/dev/null
check "verify --head refuses a malformed head (64)" sh -c "'$DUNMAIL' -c '$WORK/dunmail.conf' verify --head 12:abc 2>/dev/null; test \$? = 64"

dm export INV-2026-0158 bundle > /dev/null
check "bundle: sha256sum -c" sh -c "cd bundle && sha256sum -c --quiet SHA256SUMS"
check "bundle: verify.py" sh -c "cd bundle && python3 verify.py >/dev/null"
check "bundle: the reminder as .eml, byte for byte" test "$(sha256sum bundle/messages/*.eml | cut -d' ' -f1)" = "$sha"
check "bundle: timeline says what was sent and the SMTP reply" grep -q 'Sent\*\* reminder stage before_due to longteng@buyer.test, SMTP reply "250 ' bundle/timeline.md
check "bundle: timeline has the decision, its operator and note" grep -q 'Human decision\*\* by alice: hold-until, note "agreed by phone"' bundle/timeline.md
check "bundle: the chain runs from the case's first event to its last" \
	test "$(head -n1 bundle/chain.jsonl | cut -d, -f1)$(tail -n1 bundle/chain.jsonl | cut -d, -f1)" = \
	"$(head -n1 bundle/events.jsonl | cut -d, -f1)$(tail -n1 bundle/events.jsonl | cut -d, -f1)"
check "export refuses to overwrite" not dm export INV-2026-0158 bundle 2>/dev/null

tamper() {
	cp dunmail.db tampered.db
	sqlite3 tampered.db "$1"
	printf '[store]\npath = %s/tampered.db\n' "$WORK" > tampered.conf
	rc=0
	"$DUNMAIL" -c tampered.conf verify > verify.out 2> verify.err || rc=$?
}

imp=$(sqlite3 dunmail.db "SELECT seq FROM event WHERE kind = 'imported' AND detail LIKE '%INV-2026-0158%'")
tamper "DROP TRIGGER event_no_update; UPDATE event SET detail = replace(detail, '126500.00', '1.00') WHERE seq = $imp"
check "edited event: exit 65" test "$rc" = 65
check "edited event named" grep -q "event $imp (imported) was altered" verify.err
tamper "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = 10"
check "deleted event: exit 65" test "$rc" = 65
check "deleted event named" grep -q "event 10 is missing" verify.err
tamper "DROP TRIGGER event_no_update; UPDATE event SET seq = -1 WHERE seq = 3; UPDATE event SET seq = 3 WHERE seq = 4; UPDATE event SET seq = 4 WHERE seq = -1"
check "reordered events: exit 65" test "$rc" = 65
check "reordered events named" grep -q "event 3 does not follow event 2" verify.err
tamper "DROP TRIGGER blob_no_delete; DELETE FROM blob WHERE sha256 = '$sha'"
check "deleted message: exit 65" test "$rc" = 65
check "deleted message named, with its SHA-256" grep -q "names message [0-9]* stored as $sha, and those bytes are missing" verify.err
# The last event (the decision) is about no message, and the chain
# without it is whole; but it carried the case row it changed, so the
# replay shows the row ahead of the trail. The head recorded before says
# what was cut.
tamper "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = (SELECT max(seq) FROM event)"
check "tail cut by one event: the replayed state differs (exit 65)" test "$rc" = 65
check "tail cut: ... the case row it changed named" grep -q "dcase [0-9]* (INV-2026-0158): state is \"on_hold\" in the store, \"upcoming\" from the trail" verify.err
rc=0
"$DUNMAIL" -c tampered.conf verify --head "$head" > verify.out 2> verify.err || rc=$?
check "tail cut: verify --head exits 65" test "$rc" = 65
check "tail cut: ... and says what was removed" grep -q "event ${head%%:*} was removed from the end" verify.err
tamper "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq >= (SELECT min(seq) FROM event WHERE message_id = (SELECT max(id) FROM message))"
check "tail cut back past a message's events: exit 65" test "$rc" = 65
check "... the message left without events named" grep -q "is named by no event" verify.err

# The bundle's own checker, on copies of the bundle.
bundle_tamper() {
	rm -rf bt && cp -r bundle bt
	(cd bt && eval "$1")
	rc=0
	(cd bt && python3 verify.py) > bt.out 2>&1 || rc=$?
}
sent_seq=$(grep '"kind":"sent"' bundle/events.jsonl | cut -d, -f1 | cut -d: -f2)
bundle_tamper "sed -i '/\"kind\":\"sent\"/d' events.jsonl"
check "bundle: a case event removed: verify.py fails" test "$rc" = 1
check "bundle: ... and names it" grep -q "event $sent_seq of the case is missing from events.jsonl" bt.out
bundle_tamper "sed -i '/\"seq\":$sent_seq,/d' events.jsonl chain.jsonl"
check "bundle: a case event removed from the chain too: verify.py fails" test "$rc" = 1
check "bundle: ... and names the gap" grep -q "chain: event $sent_seq missing" bt.out
bundle_tamper "sed -i 's/longteng@buyer.test/longteng@elsewhere.test/' messages/*.eml"
check "bundle: an .eml edited: verify.py fails" test "$rc" = 1
check "bundle: ... and names the message" grep -q "message $sha missing or altered" bt.out
bundle_tamper "sed -i 's/agreed by phone/agreed by post/' events.jsonl"
check "bundle: an event edited: verify.py fails" test "$rc" = 1
check "bundle: an event edited: sha256sum -c fails" not sh -c "cd bt && sha256sum -c --quiet SHA256SUMS 2>/dev/null"
# timeline.md edited, and SHA256SUMS made to agree: verify.py writes the
# timeline again from events.jsonl and the messages, and it differs.
bundle_tamper "sed -i 's/agreed by phone/agreed by post/' timeline.md && grep -v '  timeline.md\$' SHA256SUMS > s && sha256sum timeline.md >> s && mv s SHA256SUMS"
check "bundle: timeline.md edited (sums redone): sha256sum -c passes" sh -c "cd bt && sha256sum -c --quiet SHA256SUMS"
check "bundle: ... verify.py fails" test "$rc" = 1
check "bundle: ... and shows the line that is not what the events say" grep -q 'timeline.md: line [0-9]* is not what the events say' bt.out
bundle_tamper "sed -i 's/| out |/| in |/' timeline.md"
check "bundle: timeline.md's message table edited: verify.py fails" test "$rc" = 1

# export writes only into a directory it makes, or an empty one of the
# user's, and never through a symbolic link planted there.
echo precious > victim.txt
mkdir planted && ln -s "$WORK/victim.txt" planted/timeline.md
rc=0
dm export INV-2026-0158 planted >/dev/null 2>export.err || rc=$?
check "export: a symlink planted in the directory: refused" test "$rc" != 0
check "export: ... the file it points to is untouched" test "$(cat victim.txt)" = precious
check "export: ... and says the directory is not empty" grep -q "planted is not empty" export.err
mkdir planted2 && ln -s "$WORK/victim.txt" planted2/messages
rc=0
dm export INV-2026-0158 planted2 >/dev/null 2>&1 || rc=$?
check "export: a symlink planted as messages/: refused, not followed" test "$rc" != 0 -a "$(cat victim.txt)" = precious
mkdir realdir && ln -s realdir linkdir
rc=0
dm export INV-2026-0158 linkdir >/dev/null 2>export.err || rc=$?
check "export: DIR itself a symbolic link: refused" test "$rc" != 0
check "export: ... nothing written where it points" test -z "$(ls -A realdir)"
mkdir emptydir
check "export: into an empty directory of the user's" dm export INV-2026-0158 emptydir
check "export: ... files private (0600)" test "$(stat -c %a emptydir/timeline.md)" = 600

finish

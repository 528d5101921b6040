#!/usr/bin/env bash
# The whole dunmail story end to end, against the sandbox, over a
# simulated 45 days (tests/integration/story_lib.sh has the script; the
# same one contrib/quickstart narrates). Reminders go out, scripted
# debtors answer from their own mailboxes through Postfix, the agent
# reacts, a person resolves a case, and the trail proves it all.
#
# Checked at every step: each day, every case's state and next action
# against the story's expectations, and every mailbox against the store
# (each sent message delivered once to each recipient, nothing else,
# inside the debtor's window in the debtor's zone, no stage before its
# day or twice); at each scripted step, the reply's class, how it was
# matched, the folder it was filed in, the answer the debtor received
# (and when), the forward to the hand-off address and the queue. At the
# end: cases, queue, verify, three tamperings caught (exit 65), and an
# exported bundle that sha256sum -c and its verify.py accept.
#
#   bash tests/integration/test_story.sh    (root; DUNMAIL=binary;
#                                            SANDBOX_REUSE=1 to reuse a
#                                            running sandbox)
# Prints "N passed, M failed" last; exits non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=send_lib.sh
source "$here/send_lib.sh"
# shellcheck source=story_lib.sh
source "$here/story_lib.sh"

t0=$SECONDS
sandbox_up
export STORY_REPO=$REPO STORY_DIR=$WORK/story DUNMAIL
if ! out=$(story_setup 2>&1); then
	fail "config, init and import of the demo ledger" "$out"
	finish
fi
pass "config from tests/sandbox/dunmail-config.sh, lint, init, import of contrib/demo/invoices.csv"
db=$STORY_DIR/dunmail.db
ar=$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir

check_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "expected [$3], got [$2]"; fi; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi; }

# --- what the mailboxes and the store say ------------------------------

# received USER: "LOCALDATE HH:MM TEMPLATE INVOICES ATTACHMENTS MSGID" lines.
received() { story_py received --root "$SANDBOX_MAILDIR_ROOT" --db "$db" --user "$@"; }
# got USER DATE TEMPLATE: how many such messages USER has, on that local date.
got() { received "$1" | awk -v d="$2" -v t="$3" '$1 == d && $3 == t' | wc -l; }
# got_between USER FROM TO: messages to USER with local dates in [FROM, TO].
got_between() { received "$1" | awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b' | wc -l; }
# show and cases give a case as of --now (the walk's last run).
case_json() { story_dm --now "$STORY_NOW" show "$1" --json | head -n1; }
# pyjson EXPR: JSON lines on stdin as the list L; prints EXPR (a list one
# item a line; true/false/null as in JSON). jq is not a dependency.
pyjson() {
	python3 -c '
import json, sys
L = [json.loads(l) for l in sys.stdin if l.strip()]
def show(v):
    return json.dumps(v) if isinstance(v, bool) or v is None else str(v)
r = eval(sys.argv[1])
print("\n".join(map(show, r)) if isinstance(r, list) else show(r))' "$1"
}
case_field() { case_json "$1" | pyjson "L[0][\"$2\"]"; }
queued() { story_dm queue --json | pyjson "\",\".join(sorted(o[\"reason\"] for o in L if o[\"invoice\"] == \"$1\"))"; }
reply_mid() { cat "$STORY_DIR/replies/$1.mid"; }
# in_row KEY COLUMN: the inbound row of a story reply.
in_row() { story_q "SELECT $2 FROM message WHERE direction = 'in' AND message_id = '$(reply_mid "$1")'"; }
# in_folder FOLDER TEXT: files in ar@vendor.test's Maildir folder holding TEXT.
in_folder() {
	local dir=$ar
	[[ $1 != INBOX ]] && dir=$ar/.${1//\//.}
	grep -lF -- "$2" "$dir"/cur/* "$dir"/new/* 2>/dev/null | wc -l
}
# check_reply KEY CLASS FOLDER: the reply was matched on its thread (the
# reminder it answers), classified and filed in FOLDER, gone from INBOX.
check_reply() {
	local key=$1 mid irt
	mid=$(reply_mid "$key")
	irt=$(cat "$STORY_DIR/replies/$key.irt")
	check_eq "$key: reply classified $2" "$(in_row "$key" class)" "$2"
	check_eq "$key: matched on its thread" "$(in_row "$key" match_method)" thread
	check_eq "$key: it answers the message the debtor received ($irt)" \
		"$(story_q "SELECT count(*) FROM message WHERE direction = 'out' AND message_id = '$irt' AND outbox_state = 'sent'")" 1
	check_eq "$key: filed in $3" "$(in_row "$key" folder)" "$3"
	check_eq "$key: in the Maildir of ar@vendor.test/$3" "$(in_folder "$3" "$mid")" 1
	check_eq "$key: gone from INBOX" "$(in_folder INBOX "$mid")" 0
}
# check_forward REASON NEEDLE...: collections@vendor.test got exactly one
# forward for REASON holding each NEEDLE (the summary at the top).
check_forward() {
	local reason=$1 f n
	shift
	n=$(grep -l "^X-Dunmail-Handoff: $reason" "$SANDBOX_MAILDIR_ROOT"/vendor.test/collections/Maildir/{new,cur}/* 2>/dev/null | grep -cvFf "$STORY_DIR/preexisting" || true)
	f=$(grep -l "^X-Dunmail-Handoff: $reason" "$SANDBOX_MAILDIR_ROOT"/vendor.test/collections/Maildir/{new,cur}/* 2>/dev/null | grep -vFf "$STORY_DIR/preexisting" | tail -n1)
	check_eq "forward ($reason) in collections@vendor.test's INBOX, once" "$n" 1
	[[ -n $f ]] || return
	local text needle
	text=$(python3 -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(next(p for p in m.walk() if p.get_content_type()=="text/plain").get_payload(decode=True).decode())' "$f")
	for needle in "$@"; do
		if grep -qF -- "$needle" <<<"$text"; then pass "forward ($reason) summary: $needle"; else fail "forward ($reason) summary: $needle" "$text"; fi
	done
}

# --- expected states ---------------------------------------------------
# One line per case: INVOICE STATE NEXT; R = reminding (upcoming, overdue
# or escalated, by the due date and the final notice; NEXT remind, or none
# once the final notice went), NEXT * = any.
expect_file=$STORY_DIR/expected
story_q "SELECT i.number FROM dcase c JOIN invoice i ON i.id = c.invoice_id ORDER BY i.number" |
	sed 's/$/ R R/' >"$expect_file"
expect() { sed -i "s/^$1 .*/$1 $2 $3/" "$expect_file"; }
check_eq "17 cases opened (INV-2026-0144 was imported settled)" "$(wc -l <"$expect_file")" 17

day_states() {
	local out
	if out=$(story_dm --now "${1}T14:30:00Z" cases --json | story_py states --db "$db" --expect "$expect_file" --now "${1}T14:30:00Z" 2>&1); then
		pass "$1: every case in its expected state and next action"
	else
		fail "$1: every case in its expected state and next action" "$out"
	fi
}
day_mail() {
	local out
	if out=$(story_py audit --root "$SANDBOX_MAILDIR_ROOT" --db "$db" --conf "$STORY_DIR/dunmail.conf" --users "$STORY_MAILBOXES" 2>&1); then
		pass "$1: mailboxes match the store (once each, in the debtor's window, no stage early or twice)"
	else
		fail "$1: mailboxes match the store" "$out"
	fi
}
day_errors() {
	if [[ -s $STORY_DIR/errors ]]; then
		fail "$1: every send and poll exits 0, every reply is delivered" "$(cat "$STORY_DIR/errors")"
		: >"$STORY_DIR/errors"
	fi
}
# day_trail DAY: verify exits 0, the trail only grew (strictly, on a day
# the store gained a message; a quiet weekend adds no event) and still
# holds yesterday's head (`verify --head`): nothing cut, nothing rewritten.
trail_head="" trail_events=0 trail_messages=0
day_trail() {
	local out n m
	m=$(story_q "SELECT count(*) FROM message")
	if ! out=$(story_dm verify ${trail_head:+--head "$trail_head"} 2>&1); then
		fail "$1: dunmail verify exits 0 (and holds yesterday's head)" "$out"
		return
	fi
	n=$(sed -n 's/^trail ok: \([0-9]*\) events.*/\1/p' <<<"$out")
	if [[ -z $n || $n -lt $trail_events || ($m -gt $trail_messages && $n -le $trail_events) ]]; then
		fail "$1: the trail grows with the store" "events $trail_events -> ${n:-?}, messages $trail_messages -> $m"
	else
		pass "$1: dunmail verify: exit 0, $n events (+$((n - trail_events))), yesterday's head still in the trail"
	fi
	trail_head=$(sed -n 's/^head //p' <<<"$out") trail_events=${n:-0} trail_messages=$m
}

# --- the story, checked each evening -----------------------------------
story_say() { echo "# $*"; }
story_check_day() {
	local day=$1 f
	case $day in
	2026-11-02)
		check_eq "$day: acme got before_due (INV-2026-0142)" "$(got acme@buyer.test "$day" before_due)" 1
		;;
	2026-11-04)
		check_eq "$day: huaxin got before_due" "$(got huaxin@buyer.test "$day" before_due)" 1
		check_reply huaxin invoice_request "Dunning/Invoice request"
		check_eq "$day: huaxin's request is a Chinese one (zh rule)" "$(story_q "SELECT language FROM classification WHERE message_id = (SELECT id FROM message WHERE message_id = '$(reply_mid huaxin)')")" zh
		check_eq "$day: the request names INV-2026-0146: only its case" "$(story_q "SELECT group_concat(i.number) FROM message_case mc JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id WHERE mc.message_id = (SELECT id FROM message WHERE message_id = '$(reply_mid huaxin)')")" INV-2026-0146
		expect INV-2026-0146 R "send_copy(invoice_copy)"
		check_eq "$day: no person needed for an invoice request" "$(queued INV-2026-0146)" ""
		;;
	2026-11-05)
		check_eq "$day: huaxin got invoice_copy (09:30 Shanghai)" "$(got huaxin@buyer.test "$day" invoice_copy)" 1
		f=$(received huaxin@buyer.test | awk '$3 == "invoice_copy" {print $5}')
		check_eq "$day: invoice_copy attaches INV-2026-0146.pdf" "$f" INV-2026-0146.pdf
		f=$(story_q "SELECT message_id FROM message WHERE template = 'invoice_copy' AND outbox_state = 'sent'")
		f=$(grep -lF "$f" "$SANDBOX_MAILDIR_ROOT"/buyer.test/huaxin/Maildir/{new,cur}/* 2>/dev/null | head -n1)
		check_eq "$day: the PDF is byte-identical to the ledger's" \
			"$(python3 -c 'import email,hashlib,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(next(hashlib.sha256(p.get_payload(decode=True)).hexdigest() for p in m.walk() if p.get_filename()))' "$f")" \
			"$(sha256sum <"$REPO/contrib/demo/pdf/INV-2026-0146.pdf" | cut -d' ' -f1)"
		expect INV-2026-0146 R R
		;;
	2026-11-10)
		check_eq "$day: the ledger update replaced Taipei's contact" "$(case_json INV-2026-0166 | pyjson '",".join(c["email"] for c in L[0]["contacts"])')" "$STORY_BAD_ADDR"
		check_reply acme promise_to_pay Dunning/Promise
		check_eq "$day: acme answered the due_today reminder" \
			"$(story_q "SELECT template FROM message WHERE message_id = '$(cat "$STORY_DIR/replies/acme.irt")'")" due_today
		check_eq "$day: INV-2026-0142 promised by 2026-11-20" "$(case_field INV-2026-0142 promised_on)" 2026-11-20
		check_eq "$day: follow-up due after the grace (09:00 New York, 23 Nov)" "$(case_field INV-2026-0142 next_action_at)" 2026-11-23T14:00:00Z
		check_eq "$day: acme got promise_confirm" "$(got acme@buyer.test "$day" promise_confirm)" 1
		check_eq "$day: the promise did not apply to acme's other invoice" "$(case_field INV-2026-0168 state)" upcoming
		expect INV-2026-0142 promised "follow_up_promise(promise_broken)"
		;;
	2026-11-11)
		check_eq "$day: huaxin got due_today (the schedule was kept)" "$(got huaxin@buyer.test "$day" due_today)" 1
		check_eq "$day: the reminder to Taipei went to $STORY_BAD_ADDR" \
			"$(story_q "SELECT count(*) FROM message m JOIN recipient r ON r.message_id = m.id WHERE m.direction = 'out' AND m.kind = 'reminder' AND r.address = '$STORY_BAD_ADDR' AND m.outbox_state = 'sent'")" 1
		f=$(story_q "SELECT message_id FROM message WHERE direction = 'in' AND class = 'bounce' AND match_method = 'bounce'")
		check_eq "$day: Postfix's DSN recognised as a bounce of that reminder" "$([[ -n $f ]] && echo yes)" yes
		check_eq "$day: hard bounce: the address is marked invalid" "$(case_json INV-2026-0166 | pyjson 'L[0]["contacts"][0]["invalid"]')" true
		check_eq "$day: hard bounce: queued for a person" "$(queued INV-2026-0166)" bounce_hard
		check_eq "$day: the DSN is filed in Dunning/Needs attention" "$(in_folder "Dunning/Needs attention" "$(story_q "SELECT message_id FROM message WHERE direction = 'out' AND to_addrs LIKE '%$STORY_BAD_ADDR%' LIMIT 1")")" 1
		check_forward bounce "Debtor:     台北永信股份有限公司 (CUST-2004)" "INV-2026-0166" "dunmail resolve INV-2026-0166"
		check_eq "$day: plan: Taipei's other invoice has no address left" \
			"$(story_dm plan --now "${day}T15:00:00Z" --json | pyjson '[o["why"] for o in L if o["invoice"] == "INV-2026-0176"]')" "stopped: no valid contact address"
		expect INV-2026-0166 R "human(hard_bounce)"
		expect INV-2026-0176 R "*"
		;;
	2026-11-13)
		check_reply globex1 promise_to_pay Dunning/Promise
		check_eq "$day: globex got promise_confirm (10:30 Berlin)" "$(got globex@buyer.test "$day" promise_confirm)" 1
		check_eq "$day: INV-2026-0150 promised by 2026-11-18" "$(case_field INV-2026-0150 promised_on)" 2026-11-18
		expect INV-2026-0150 promised "follow_up_promise(promise_broken)"
		check_reply jinfeng auto_reply Dunning/Auto-reply
		check_eq "$day: the out-of-office's return date was read" \
			"$(story_q "SELECT detail FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = '$(reply_mid jinfeng)')" | pyjson 'sorted({o["return_date"] for o in L})')" 2026-11-23
		for f in INV-2026-0155 INV-2026-0174; do
			check_eq "$day: jinfeng's $f held until 24 Nov 09:00 Shanghai" "$(case_field $f hold_until)" 2026-11-24T01:00:00Z
		done
		check_eq "$day: an out-of-office needs no person" "$(queued INV-2026-0155)" ""
		;;
	2026-11-17)
		check_reply initech dispute "Dunning/Needs attention"
		check_eq "$day: initech got dispute_ack" "$(got initech@buyer.test "$day" dispute_ack)" 1
		check_eq "$day: the dispute is queued" "$(queued INV-2026-0163)" dispute
		check_forward dispute "Debtor:     Initech UK Ltd (CUST-1003)" "Invoice:    INV-2026-0163, GBP 2,340.00 open, now disputed" \
			"Class:      dispute" "never received the goods" "dunmail resolve INV-2026-0163 --action"
		expect INV-2026-0163 disputed "human(dispute)"
		check_reply umbrella hardship "Dunning/Needs attention"
		check_eq "$day: the hardship request is queued" "$(queued INV-2026-0171)" hardship
		check_forward hardship "Debtor:     Umbrella Pty (CUST-1004)" "INV-2026-0171" "Class:      hardship"
		expect INV-2026-0171 hardship "human(hardship)"
		;;
	2026-11-18)
		check_eq "$day: umbrella got hardship_offer (12:30 Sydney)" "$(got umbrella@buyer.test "$day" hardship_offer)" 1
		;;
	2026-11-19)
		check_eq "$day: acme's reminder covers only INV-2026-0168 (0142 is promised)" \
			"$(received acme@buyer.test | awk -v d="$day" '$1 == d {print $3, $4}')" "due_today INV-2026-0168"
		;;
	2026-11-20)
		check_eq "$day: the payment closed INV-2026-0142 (the promise was kept)" "$(case_field INV-2026-0142 state)/$(case_field INV-2026-0142 next_action)" closed/none
		expect INV-2026-0142 closed none
		check_eq "$day: resolve reports the decision" "$(cat "$STORY_DIR/resolve.out")" \
			"INV-2026-0163: disputed -> on_hold; next wait hold; recorded for alice"
		check_eq "$day: the trail has the operator and the note" \
			"$(story_dm show INV-2026-0163 --json | pyjson '["%s|%s|%s" % (o["detail"]["operator"], o["detail"]["note"], o["detail"]["action"]) for o in L if o.get("kind") == "decision"]')" "alice|$STORY_RESOLVE_NOTE|hold-until"
		check_eq "$day: the dispute left the queue" "$(queued INV-2026-0163)" ""
		check_eq "$day: the hand-off records who resolved it" "$(story_q "SELECT operator || '|' || resolution FROM handoff WHERE case_id = (SELECT c.id FROM dcase c JOIN invoice i ON i.id = c.invoice_id WHERE i.number = 'INV-2026-0163')")" "alice|hold-until"
		check_eq "$day: held until 7 Dec 09:00 London" "$(case_field INV-2026-0163 next_action_at)" 2026-12-07T09:00:00Z
		expect INV-2026-0163 on_hold "wait(hold)"
		;;
	2026-11-21)
		check_eq "$day: globex's promise broken (grace over), reminders back" "$(case_field INV-2026-0150 broken_promises)" 1
		expect INV-2026-0150 R R
		;;
	2026-11-23)
		check_eq "$day: globex got promise_broken on Monday (not at the weekend)" "$(got globex@buyer.test "$day" promise_broken)" 1
		check_eq "$day: no reminder with it" "$(got_between globex@buyer.test 2026-11-21 "$day")" 1
		;;
	2026-11-24)
		check_reply globex2 promise_to_pay Dunning/Promise
		check_eq "$day: globex answered the promise_broken letter" \
			"$(story_q "SELECT template FROM message WHERE message_id = '$(cat "$STORY_DIR/replies/globex2.irt")'")" promise_broken
		check_eq "$day: globex got a second promise_confirm" "$(got globex@buyer.test "$day" promise_confirm)" 1
		expect INV-2026-0150 promised "follow_up_promise(promise_broken)"
		check_eq "$day: jinfeng got nothing while away (14-23 Nov)" "$(got_between jinfeng@buyer.test 2026-11-14 2026-11-23)" 0
		check_eq "$day: jinfeng's next reminder came the day after the return, both invoices" \
			"$(received jinfeng@buyer.test | awk -v d="$day" '$1 == d {print $4}')" "INV-2026-0155,INV-2026-0174"
		;;
	2026-11-30)
		check_eq "$day: second broken promise: a person takes over" "$(queued INV-2026-0150)" broken_promises
		check_forward broken_promises "Debtor:     Globex GmbH (CUST-1002)" "Invoice:    INV-2026-0150, EUR 7,400.00 open, now on_hold" \
			"Class:      promise_to_pay" "Promised:   to pay by 2026-11-27" "Matched:    \"" "dunmail resolve INV-2026-0150 --action"
		f=$(grep -l "^X-Dunmail-Handoff: broken_promises" "$SANDBOX_MAILDIR_ROOT"/vendor.test/collections/Maildir/{new,cur}/* 2>/dev/null | grep -vFf "$STORY_DIR/preexisting" | tail -n1)
		check "$day: the broken-promise forward carries globex's last promise as it arrived" grep -qF "$(reply_mid globex2)" "${f:-/dev/null}"
		check_eq "$day: ... and no second promise_broken letter" "$(received globex@buyer.test | awk '$3 == "promise_broken"' | wc -l)" 1
		expect INV-2026-0150 on_hold "human(broken_promises)"
		;;
	2026-12-07)
		check_eq "$day: initech heard nothing during the hold" "$(got_between initech@buyer.test 2026-11-18 2026-12-06)" 0
		# Its last letter was the due-day note (16 Nov): the first overdue
		# reminder comes next, not a "second reminder" (issue 10).
		check_eq "$day: the hold ended: initech's reminders resume with the first overdue reminder" "$(received initech@buyer.test | awk -v d="$day" '$1 == d {print $3}')" overdue_1
		expect INV-2026-0163 R R
		;;
	2026-12-15)
		check_eq "$day: longteng got the final notice" "$(got longteng@buyer.test "$day" final_notice)" 1
		;;
	esac
	day_states "$day"
	day_mail "$day"
	day_errors "$day"
	day_trail "$day"
}

story_walk
walk_s=$((SECONDS - t0))

# --- the end -----------------------------------------------------------
echo "# what each mailbox received (local date of the debtor, template):"
story_summary | sed 's/^/#   /'
check_eq "taipei@buyer.test received nothing (its address was replaced)" "$(received taipei@buyer.test | wc -l)" 0
check_eq "acme never got promise_broken (the promise was kept)" "$(received acme@buyer.test | awk '$3 == "promise_broken"' | wc -l)" 0
check_eq "collections@vendor.test got four forwards (bounce, dispute, hardship, broken promises), nothing else" "$(received collections@vendor.test --tz Europe/London | wc -l)" 4
check_eq "ar@vendor.test's INBOX is empty: every reply was filed" \
	"$(python3 "$here/story_mail.py" received --root "$SANDBOX_MAILDIR_ROOT" --db "$db" --user ar@vendor.test --tz UTC | wc -l)" 0

echo "# dunmail cases"
story_dm --now 2026-12-16T15:00:00Z cases | sed 's/^/#   /'
echo "# dunmail queue"
story_dm queue | sed 's/^/#   /'
check_eq "queue: the bounce, the hardship and the broken promises wait for a person" \
	"$(story_dm queue --json | pyjson '" ".join(sorted("%s:%s" % (o["invoice"], o["reason"]) for o in L if o["invoice"]))')" \
	"INV-2026-0150:broken_promises INV-2026-0166:bounce_hard INV-2026-0171:hardship"
check_eq "queue is oldest first" "$(story_dm queue --json | pyjson '"sorted" if [o["since"] for o in L] == sorted(o["since"] for o in L) else "not sorted"')" sorted
if out=$(story_dm verify 2>&1); then pass "dunmail verify: exit 0 ($out)"; else fail "dunmail verify exits 0" "$out"; fi

# Tampering, each on a fresh copy of the store.
tamper() { # WHAT SQL|BLOB -> rc, err
	rm -rf "$WORK/t" && mkdir "$WORK/t"
	cp "$db" "$WORK/t/dunmail.db"
	printf '[store]\npath = %s\n' "$WORK/t/dunmail.db" >"$WORK/t/dunmail.conf"
	if [[ $1 == blob ]]; then
		# Around the store's own trigger, as an attacker with the file would.
		sqlite3 "$WORK/t/dunmail.db" "DROP TRIGGER blob_no_update;
			UPDATE blob SET data = CAST(replace(CAST(data AS TEXT),
			'never received the goods', 'received the goods') AS BLOB)
			WHERE sha256 = '$2'"
	else
		sqlite3 "$WORK/t/dunmail.db" "$2"
	fi
	rc=0
	"$DUNMAIL" -c "$WORK/t/dunmail.conf" verify >"$WORK/t/out" 2>"$WORK/t/err" || rc=$?
}
sha=$(in_row initech sha256)
tamper blob "$sha"
check_eq "tamper: initech's stored reply edited: verify exits 65" "$rc" 65
check "tamper: ... and names the file" grep -q "$sha" "$WORK/t/err"
tamper sql "DROP TRIGGER blob_no_delete; DELETE FROM blob WHERE sha256 = '$sha'"
check_eq "tamper: initech's stored reply deleted: verify exits 65" "$rc" 65
check "tamper: ... and names the event, the message and its bytes" grep -q "event [0-9]* (received) names message $(in_row initech id) stored as $sha, and those bytes are missing" "$WORK/t/err"
check_eq "every event about a message hashes it" "$(story_q "SELECT count(*) FROM event WHERE message_id > 0 AND message_sha256 = ''")" 0
n=$(story_q "SELECT max(seq) FROM event")
mid_seq=$((n / 2))
tamper sql "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = $mid_seq"
check_eq "tamper: event $mid_seq deleted: verify exits 65" "$rc" 65
check "tamper: ... and names it" grep -q "event $mid_seq is missing" "$WORK/t/err"
a=$(story_q "SELECT seq FROM event WHERE kind = 'decision'")
tamper sql "DROP TRIGGER event_no_update; UPDATE event SET seq = -1 WHERE seq = $a; UPDATE event SET seq = $a WHERE seq = $((a + 1)); UPDATE event SET seq = $((a + 1)) WHERE seq = -1"
check_eq "tamper: the decision (event $a) swapped with the next: verify exits 65" "$rc" 65
check "tamper: ... and names it" grep -q "event $a does not follow event $((a - 1))" "$WORK/t/err"

# The evidence bundle for the disputed invoice.
bundle=$WORK/bundle-0163
if out=$(story_dm export INV-2026-0163 "$bundle" 2>&1); then pass "dunmail export INV-2026-0163"; else fail "dunmail export INV-2026-0163" "$out"; fi
check "bundle: sha256sum -c SHA256SUMS" sh -c "cd '$bundle' && sha256sum -c --quiet SHA256SUMS"
check "bundle: python3 verify.py" sh -c "cd '$bundle' && python3 verify.py"
check_eq "bundle: every message in and out of the case as .eml" \
	"$(find "$bundle/messages" -name "*.eml" | wc -l)" \
	"$(story_q "SELECT count(DISTINCT m.id) FROM message m JOIN message_case mc ON mc.message_id = m.id JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id WHERE i.number = 'INV-2026-0163' AND (m.direction = 'in' OR m.outbox_state = 'sent')")"
check "bundle: the timeline has the dispute, the decision and its note" \
	sh -c "grep -q dispute '$bundle/timeline.md' && grep -q alice '$bundle/timeline.md' && grep -qF 'CN-0042' '$bundle/timeline.md'"
check "bundle: the dispute reply is in it byte for byte" grep -rqlF "$(reply_mid initech)" "$bundle/messages"
# jinfeng's out-of-office answered INV-2026-0155's reminder and held
# INV-2026-0174 too: that case's bundle has it, named by its event.
bundle=$WORK/bundle-0174
if out=$(story_dm export INV-2026-0174 "$bundle" 2>&1); then pass "dunmail export INV-2026-0174"; else fail "dunmail export INV-2026-0174" "$out"; fi
check "bundle 0174: the out-of-office that held it is in it" grep -rqlF "$(reply_mid jinfeng)" "$bundle/messages"
check "bundle 0174: sha256sum -c and verify.py" sh -c "cd '$bundle' && sha256sum -c --quiet SHA256SUMS && python3 verify.py"

echo "# walk ${walk_s}s, total $((SECONDS - t0))s"
finish

# The dunmail story, shared by tests/integration/test_story.sh (which
# asserts at every step) and contrib/quickstart (which narrates it), so
# the two cannot drift. Sourced, not run; it defines functions only.
# shellcheck shell=bash
#
# The demo ledger (contrib/demo/invoices.csv) is imported on Monday
# 2 November 2026 and the clock walks 45 days. Each day `dunmail send`
# runs at 01:30Z (Asia/Shanghai, Asia/Taipei, Australia/Sydney are in
# their window), 09:30Z (Europe/London, Europe/Berlin) and 14:30Z
# (America/New_York), each followed by `dunmail poll`. The debtors answer
# from their own sandbox mailboxes, through Postfix's submission port
# (STARTTLS, AUTH as the debtor), threaded on the reminder they actually
# received and quoting it below their words:
#
#   acme      promises INV-2026-0142 by 20 Nov; the payment is imported
#             that day: the case closes (a promise kept)
#   globex    promises INV-2026-0150 by 18 Nov and does not pay: after the
#             grace a promise_broken follow-up; promises again by 27 Nov
#             and does not pay: a person takes over (two broken promises),
#             queued and forwarded with the last promise attached
#   initech   disputes INV-2026-0163: dispute_ack, filed, forwarded,
#             queued; a person puts it on hold until 7 Dec
#   umbrella  cannot pay INV-2026-0171 in full: hardship_offer, queued
#   huaxin    asks in Chinese for a copy of INV-2026-0146: invoice_copy
#             with the PDF; the reminder schedule is kept
#   jinfeng   an out-of-office (Auto-Submitted), back on 23 Nov: nothing
#             is sent to jinfeng until the day after
#   taipei    the ledger changes its address to a mailbox that does not
#             exist: Postfix's DSN is a hard bounce, a person is asked
#   longteng  says nothing and gets every stage up to the final notice
#
# Needs: the sandbox running and its `sandbox.sh env` exported,
# DUNMAIL_SMTP_PASSWORD/DUNMAIL_IMAP_PASSWORD set, and
#   STORY_REPO  the repository's top directory
#   STORY_DIR   the work directory (store, config, replies, logs)
#   DUNMAIL     the dunmail binary
# Hooks the caller may define (all optional):
#   story_say TEXT            narration of a scripted step
#   story_run_hook NOW        after each send + poll
#   story_check_day DAY       after each day's last run
# Set STORY_SHOW=1 to print every message `send` delivers and every reply
# `poll` classifies.

STORY_START=2026-11-02
STORY_DAYS=${STORY_DAYS:-45}
STORY_SLOTS="01:30 09:30 14:30"
STORY_MAILBOXES="acme@buyer.test globex@buyer.test initech@buyer.test umbrella@buyer.test huaxin@buyer.test longteng@buyer.test jinfeng@buyer.test taipei@buyer.test collections@vendor.test"
STORY_BAD_ADDR=nobody-taipei@buyer.test

story_dm() { "$DUNMAIL" -c "$STORY_DIR/dunmail.conf" "$@"; }
story_py() { STORY_IGNORE=$STORY_DIR/preexisting python3 "$STORY_REPO/tests/integration/story_mail.py" "$@"; }
story_q() { sqlite3 "$STORY_DIR/dunmail.db" "$@"; }
story__say() {
	if declare -F story_say >/dev/null; then story_say "$*"; else echo "==> $*"; fi
}

# story_prepare: the work directory, and the operator who resolves cases
# added to STORY_DIR/dunmail.conf (written by tests/sandbox/dunmail-config.sh).
story_prepare() {
	mkdir -p "$STORY_DIR/replies" || return 1
	: >"$STORY_DIR/send.log"
	: >"$STORY_DIR/poll.log"
	: >"$STORY_DIR/errors"
	grep -q '^operator = ' "$STORY_DIR/dunmail.conf" ||
		sed -i 's/^\[sender\]$/&\noperator = alice/' "$STORY_DIR/dunmail.conf"
	# Messages already in a reused sandbox's Maildirs are not ours.
	find "$SANDBOX_MAILDIR_ROOT" -type f -path '*/Maildir/*' \( -path '*/new/*' -o -path '*/cur/*' \) \
		-printf '%f\n' 2>/dev/null | sed 's/:.*//' >"$STORY_DIR/preexisting" || true
}

# story_setup: config for the sandbox, lint, `dunmail init`, the demo
# ledger imported on the first day. Non-zero (after saying why) on failure.
story_setup() {
	mkdir -p "$STORY_DIR" || return 1
	bash "$STORY_REPO/tests/sandbox/dunmail-config.sh" "$STORY_DIR/dunmail.db" \
		>"$STORY_DIR/dunmail.conf" || return 1
	story_prepare || return 1
	story_dm lint >"$STORY_DIR/lint.out" 2>&1 || { cat "$STORY_DIR/lint.out" >&2; return 1; }
	story_dm init >"$STORY_DIR/init.out" 2>&1 || { cat "$STORY_DIR/init.out" >&2; return 1; }
	story_dm --now "${STORY_START}T00:00:00Z" import invoices \
		"$STORY_REPO/contrib/demo/invoices.csv" >"$STORY_DIR/import.out" 2>&1 \
		|| { cat "$STORY_DIR/import.out" >&2; return 1; }
}

# Waits until Postfix has delivered (or bounced) everything it holds.
story_drain() {
	local i
	for ((i = 0; i < 300; i++)); do
		postqueue -c "$SANDBOX_POSTFIX_CONFIG" -p 2>/dev/null | grep -q "Mail queue is empty" && return 0
		sleep 0.1
	done
	echo "story: the Postfix queue did not drain in 30s" >>"$STORY_DIR/errors"
	return 1
}

# story__show FILE: with STORY_SHOW=1, what a command said, indented.
story__show() {
	if [[ ${STORY_SHOW:-0} == 1 ]]; then sed 's/^/    /' "$1"; fi
	return 0
}

# (Problems go to STORY_DIR/errors and the story goes on: these functions
# return 0 under `set -e`, except story_setup.)
#
# story_reply KEY USER NAME STYLE TEXT [--auto] [--template T]: USER writes
# TEXT in reply to the newest message from ar@vendor.test in its INBOX
# (or the newest of template T), quoting it in STYLE (gmail, gmail-zh,
# outlook), and submits it through Postfix as itself. The reply is dated
# half an hour before the run it precedes, in the debtor's own zone.
story_reply() {
	local key=$1 user=$2 name=$3 style=$4 text=$5
	shift 5
	local f=$STORY_DIR/replies/$key.eml tz ids
	tz=$(story_q "SELECT d.timezone FROM debtor d JOIN contact c ON c.debtor_id = d.id WHERE c.email = '$user' LIMIT 1")
	ids=$(story_py reply --root "$SANDBOX_MAILDIR_ROOT" --db "$STORY_DIR/dunmail.db" \
		--user "$user" --name "$name" --style "$style" --tz "${tz:-UTC}" \
		--date "$(date -u -d "$STORY_NOW - 30 minutes" +%Y-%m-%dT%H:%M:%SZ)" \
		--key "$key" --text "$text" --out "$f" "$@") || {
		echo "story: $key: no reminder to reply to" >>"$STORY_DIR/errors"
		return 0
	}
	echo "${ids% *}" >"$STORY_DIR/replies/$key.irt"
	echo "${ids#* }" >"$STORY_DIR/replies/$key.mid"
	if ! curl -sS --max-time 30 --ssl-reqd --cacert "$SANDBOX_CA" \
		--resolve "$SANDBOX_TLS_NAME:$SANDBOX_SUBMISSION_PORT:$SANDBOX_HOST" \
		"smtp://$SANDBOX_TLS_NAME:$SANDBOX_SUBMISSION_PORT" \
		--user "$user:$SANDBOX_PASSWORD" --mail-from "$user" \
		--mail-rcpt ar@vendor.test --upload-file "$f" 2>>"$STORY_DIR/errors"; then
		echo "story: $key: submission as $user refused" >>"$STORY_DIR/errors"
		return 0
	fi
	STORY_PENDING="$STORY_PENDING ${ids#* }"
}

# The ledger events of the story.
story_ledger_taipei() {
	{
		head -n1 "$STORY_REPO/contrib/demo/invoices.csv"
		grep '^CUST-2004,' "$STORY_REPO/contrib/demo/invoices.csv" | sed "s/taipei@buyer.test/$STORY_BAD_ADDR/"
	} >"$STORY_DIR/taipei-update.csv"
	# The PDFs are relative to the CSV's folder, or else to [ledger]
	# pdf_dir (a symbolic link out of the CSV's folder is refused).
	grep -q '^pdf_dir' "$STORY_DIR/dunmail.conf" ||
		printf '[ledger]\npdf_dir = %s\n' "$STORY_REPO/contrib/demo" >>"$STORY_DIR/dunmail.conf"
	story_dm --now "$STORY_NOW" import invoices "$STORY_DIR/taipei-update.csv" \
		>"$STORY_DIR/taipei-update.out" 2>&1
}
story_ledger_acme_paid() {
	printf '%s\n' "invoice_number,paid_on,currency,amount,reference" \
		"INV-2026-0142,2026-11-20,USD,4800.00,ACME-ACH-20261120" >"$STORY_DIR/acme-paid.csv"
	story_dm --now "$STORY_NOW" import payments "$STORY_DIR/acme-paid.csv" \
		>"$STORY_DIR/acme-paid.out" 2>&1
}

STORY_RESOLVE_NOTE="credit note CN-0042 agreed with Initech by phone; pay the rest after 7 Dec"

# story_script DAY SLOT: what happens before the run at DAY SLOT.
story_script() {
	case "$1 $2" in
	"2026-11-04 09:30")
		story__say "$1: huaxin asks, in Chinese, for a copy of INV-2026-0146 (请重新发送发票)"
		story_reply huaxin huaxin@buyer.test "华信财务部" gmail-zh \
			"您好，请重新发送发票 INV-2026-0146，谢谢！"
		;;
	"2026-11-10 01:30")
		story__say "$1: the ledger gives Taipei a new address, $STORY_BAD_ADDR (a mailbox that does not exist)"
		story_ledger_taipei || echo "story: taipei ledger update failed" >>"$STORY_DIR/errors"
		story__show "$STORY_DIR/taipei-update.out"
		story__say "$1: acme promises to pay INV-2026-0142 by 20 November"
		story_reply acme acme@buyer.test "Acme Accounts Payable" gmail \
			"Hello,\n\nApologies for the delay. We will pay INV-2026-0142 by 20 November 2026.\n\nBest regards,\nJane Doe\nAcme Corp AP"
		;;
	"2026-11-13 01:30")
		story__say "$1: globex promises to pay INV-2026-0150 by 18 November"
		story_reply globex1 globex@buyer.test "Globex Buchhaltung" outlook \
			"Dear team,\n\nWe will pay INV-2026-0150 by 18 November 2026.\n\nMit freundlichen Gruessen\nGlobex GmbH"
		;;
	"2026-11-13 09:30")
		story__say "$1: jinfeng's mailbox answers the due-date reminder with an out-of-office (back on 23 November)"
		story_reply jinfeng jinfeng@buyer.test "金丰科技 财务" gmail \
			"您好，我正在休假，11月23日回来。\nI am out of the office and back on 23 November 2026. For urgent matters please call +86 10 5555 0100." --auto
		;;
	"2026-11-17 01:30")
		story__say "$1: initech disputes INV-2026-0163"
		story_reply initech initech@buyer.test "Initech Accounts" outlook \
			"Hi,\n\nThe invoice amount is wrong, we never received the goods.\n\nRegards,\nBill Lumbergh"
		story__say "$1: umbrella cannot pay INV-2026-0171 in full and asks for instalments"
		story_reply umbrella umbrella@buyer.test "Umbrella Pty Accounts" gmail \
			"Hello,\n\nWe are in financial difficulty at the moment and cannot pay INV-2026-0171 in full. Could we pay it in instalments?\n\nThanks,\nUmbrella Pty"
		;;
	"2026-11-20 01:30")
		story__say "$1: acme's payment of INV-2026-0142 is in the ledger (dunmail import payments)"
		story_ledger_acme_paid || echo "story: acme payment import failed" >>"$STORY_DIR/errors"
		story__show "$STORY_DIR/acme-paid.out"
		;;
	"2026-11-20 09:30")
		story__say "$1: a person resolves initech's dispute: hold until 7 December"
		story_dm --now "$STORY_NOW" resolve INV-2026-0163 --action hold-until 2026-12-07 \
			--note "$STORY_RESOLVE_NOTE" >"$STORY_DIR/resolve.out" 2>&1 \
			|| echo "story: resolve failed: $(cat "$STORY_DIR/resolve.out")" >>"$STORY_DIR/errors"
		story__show "$STORY_DIR/resolve.out"
		;;
	"2026-11-24 01:30")
		story__say "$1: globex answers the broken-promise letter with a new promise: by 27 November"
		story_reply globex2 globex@buyer.test "Globex Buchhaltung" outlook \
			"Dear team,\n\nSorry, the transfer was delayed. We will pay INV-2026-0150 by 27 November 2026.\n\nMit freundlichen Gruessen\nGlobex GmbH"
		;;
	esac
}

# One run: send, let Postfix deliver, then poll (after any reply written
# just before the run has reached ar@vendor.test's INBOX).
story_run() {
	local now=$1 rc=0 mid out last
	story_dm send --now "$now" >"$STORY_DIR/send.out" 2>"$STORY_DIR/send.err" || rc=$?
	{ echo "== send $now (exit $rc)"; cat "$STORY_DIR/send.out" "$STORY_DIR/send.err"; } >>"$STORY_DIR/send.log"
	[[ $rc -eq 0 ]] || echo "story: send at $now exited $rc" >>"$STORY_DIR/errors"
	if [[ ${STORY_SHOW:-0} == 1 ]]; then
		sed -n "s/^sent \([^ ]*\) (\([^)]*\)) \([^ ]*\) \[\([^]]*\)\] to \([^:]*\):.*/  ${now%:00Z}Z  \2: \3 [\4] to \5/p" "$STORY_DIR/send.out"
	fi
	if ! grep -q "send: 0 sent" "$STORY_DIR/send.err" || [[ -n $STORY_PENDING ]]; then
		story_drain || true
	fi
	for mid in $STORY_PENDING; do
		bash "$STORY_REPO/tests/sandbox/wait-for-mail.sh" -m "$mid" ar@vendor.test INBOX 1 30 >/dev/null \
			|| echo "story: reply $mid never reached ar@vendor.test" >>"$STORY_DIR/errors"
	done
	STORY_PENDING=
	rc=0
	last=$(story_q "SELECT IFNULL(MAX(id), 0) FROM message WHERE direction = 'in'")
	out=$(story_dm --now "$now" poll 2>&1) || rc=$?
	echo "== poll $now (exit $rc): $out" >>"$STORY_DIR/poll.log"
	[[ $rc -eq 0 ]] || echo "story: poll at $now exited $rc: $out" >>"$STORY_DIR/errors"
	if [[ ${STORY_SHOW:-0} == 1 ]]; then
		story_q -separator ' ' "SELECT from_addr, '->', class, 'filed in', folder FROM message WHERE direction = 'in' AND id > ${last:-0} ORDER BY id" |
			sed "s/^/  ${now%:00Z}Z  poll: /"
	fi
	return 0
}

# story_walk: the 45 days.
story_walk() {
	local d day slot
	STORY_PENDING=
	for ((d = 0; d < STORY_DAYS; d++)); do
		day=$(date -u -d "$STORY_START + $d days" +%Y-%m-%d)
		for slot in $STORY_SLOTS; do
			STORY_NOW=${day}T${slot}:00Z
			story_script "$day" "$slot"
			story_run "$STORY_NOW"
			if declare -F story_run_hook >/dev/null; then story_run_hook "$STORY_NOW"; fi
		done
		if declare -F story_check_day >/dev/null; then story_check_day "$day"; fi
	done
	story_drain || true
}

# story_summary: what each mailbox received (local dates, templates).
story_summary() {
	story_py summary --root "$SANDBOX_MAILDIR_ROOT" --db "$STORY_DIR/dunmail.db" \
		--users "$STORY_MAILBOXES"
}

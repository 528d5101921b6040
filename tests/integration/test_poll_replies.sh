#!/usr/bin/env bash
# `dunmail poll` against the sandbox: replies delivered by Postfix (GBK,
# Big5, GB18030, UTF-8; Gmail, Outlook and QQ quoting; HTML-only and
# multipart; a DSN bounce; an out-of-office) are stored, matched to the
# right cases (thread, token, invoice number, sender), classified, handed
# off when they must be, and filed into the right folder; a second poll
# changes nothing.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
sandbox=$top/tests/sandbox/sandbox.sh
work=$(mktemp -d)
started=0
passed=0 failed=0

cleanup() {
	[[ $started == 1 ]] && bash "$sandbox" stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1" >&2; [[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/    /' >&2; }
check_eq() { if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "expected [$3], got [$2]"; fi; }

if ! bash "$sandbox" status >/dev/null 2>&1; then
	bash "$sandbox" start >/dev/null 2>&1 || { fail "sandbox starts"; echo "$passed passed, $failed failed"; exit 1; }
	started=1
fi
eval "$(bash "$sandbox" env)"
export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD DUNMAIL_SMTP_PASSWORD=$SANDBOX_PASSWORD
export DUNMAIL_NOW=2026-11-20T09:00:00Z
db=$work/d.db
bash "$top/tests/sandbox/dunmail-config.sh" "$db" > "$work/d.conf"
dm() { "$dunmail" -c "$work/d.conf" "$@"; }
q() { sqlite3 "$db" "$@"; }
dm init >/dev/null 2>&1
dm import invoices "$top/contrib/demo/invoices.csv" >/dev/null || fail "import"
# A debtor whose only contact does not exist: its reminder bounces.
printf '%s\n' "$(head -n1 "$top/contrib/demo/invoices.csv")" \
	"CUST-3001,Ghost Ltd,nosuchuser@buyer.test,en,Europe/London,GB,INV-2026-0901,2026-10-10,2026-11-09,GBP,100.00,100.00," > "$work/ghost.csv"
dm import invoices "$work/ghost.csv" >/dev/null || fail "import ghost"

U=$(date +%s%N)-$$
# sent MESSAGE-ID TOKEN DEBTOR-EMAIL INVOICE...: the row `dunmail send`
# leaves behind for a reminder we sent (the outbound side owns it).
sent() {
	local mid=$1 token=$2 email=$3; shift 3
	q "INSERT INTO message (direction, kind, debtor_id, message_id, token, subject, from_addr, to_addrs, outbox_state, sent_at, created_at)
	   VALUES ('out', 'reminder', (SELECT debtor_id FROM contact WHERE email = '$email'), '$mid', '$token', 'Payment reminder', 'ar@vendor.test', '$email', 'sent', 1795000000, 1795000000);"
	local inv
	for inv in "$@"; do
		q "INSERT INTO message_case (message_id, case_id) SELECT m.id, c.id FROM message m, dcase c JOIN invoice i ON i.id = c.invoice_id WHERE m.message_id = '$mid' AND i.number = '$inv';"
	done
}
sent "r-acme-$U@vendor.test" "DUN-ACME$RANDOM" acme@buyer.test INV-2026-0142 INV-2026-0168
sent "r-huaxin-$U@vendor.test" "DUN-HUAX$RANDOM" huaxin@buyer.test INV-2026-0146 INV-2026-0190
TAIPEI_TOKEN=DUN-TPE${RANDOM}X
sent "r-taipei-$U@vendor.test" "$TAIPEI_TOKEN" taipei@buyer.test INV-2026-0166 INV-2026-0176
sent "r-longteng-$U@vendor.test" "DUN-LT$RANDOM" longteng@buyer.test INV-2026-0158 INV-2026-0181
sent "r-umbrella-$U@vendor.test" "DUN-UMB$RANDOM" umbrella@buyer.test INV-2026-0171
sent "r-ghost-$U@vendor.test" "DUN-GHO$RANDOM" nosuchuser@buyer.test INV-2026-0901

# Each reply: KEY FROM FILE (made by the generator below).
python3 - "$work" "$U" "$TAIPEI_TOKEN" <<'PY'
import sys, email.utils
from email.mime.text import MIMEText
from email.mime.multipart import MIMEMultipart
from email.header import Header
work, U, tok = sys.argv[1], sys.argv[2], sys.argv[3]
def save(key, frm, msg, irt=None, refs=None, subject="Re: Payment reminder", subj_charset='utf-8', extra=()):
    msg['From'] = frm
    msg['To'] = 'ar@vendor.test'
    msg['Subject'] = Header(subject, subj_charset)
    msg['Message-ID'] = '<%s-%s@buyer.test>' % (key, U)
    # Sent an hour before DUNMAIL_NOW: dates in the text ("until 30
    # November") are read relative to it, whatever the machine's clock.
    msg['Date'] = email.utils.formatdate(1795161600, localtime=False)
    if irt: msg['In-Reply-To'] = '<%s>' % irt
    if refs: msg['References'] = ' '.join('<%s>' % r for r in refs)
    for k, v in extra: msg[k] = v
    open('%s/%s.eml' % (work, key), 'wb').write(msg.as_bytes().replace(b'\n', b'\r\n'))
# UTF-8, Gmail quoting, threaded: applies to both of acme's cases.
save('acme', 'Acme AP <acme@buyer.test>', MIMEText(
    "We will pay both invoices next Friday.\n\nOn Mon, 16 Nov 2026 at 09:00, Accounts Receivable <ar@vendor.test> wrote:\n> Dear Acme Corp, invoices INV-2026-0142 and INV-2026-0168 are overdue.\n> Please pay.\n", 'plain', 'utf-8'),
    irt='r-acme-%s@vendor.test' % U)
# GBK, QQ-style quoting, threaded, names one invoice: only that case.
save('huaxin', '=?GBK?B?u6rQxQ==?= <huaxin@buyer.test>', MIMEText(
    "发票 INV-2026-0146 我们对金额有异议，数量不对，请核实。\n\n------------------ 原始邮件 ------------------\n发件人: \"Accounts Receivable\"<ar@vendor.test>\n主题: 付款提醒 INV-2026-0146, INV-2026-0190\n\n您好，以下发票已逾期。\n", 'plain', 'gbk'),
    irt='r-huaxin-%s@vendor.test' % U, subject='回复：付款提醒', subj_charset='gbk')
# Big5, token in the subject only (no threading headers).
save('taipei', 'taipei@buyer.test', MIMEText(
    "我們公司目前資金周轉困難，能否分期付款？\n\n寄件者: ar@vendor.test\n主旨: 付款提醒\n", 'plain', 'big5'),
    subject='回覆: 付款提醒 [ref:%s]' % tok, subj_charset='big5')
# HTML only, Outlook style, matched by the invoice number in the subject.
save('globex', 'Globex AP <globex@buyer.test>', MIMEText(
    "<html><body><p>We dispute INV-2026-0177: the goods were returned.</p><div id=\"divRplyFwdMsg\"><b>From:</b> ar@vendor.test<br><b>Sent:</b> Monday<br><b>Subject:</b> Payment reminder</div><p>Dear Globex...</p></body></html>", 'html', 'utf-8'),
    subject='RE: Invoice INV-2026-0177')
# multipart/alternative, GB18030, threaded through References only.
alt = MIMEMultipart('alternative')
alt.attach(MIMEText("我们将于12月5日付款。\n\n在 2026年11月16日 周一 09:00，Accounts Receivable <ar@vendor.test> 写道：\n> 您好\n", 'plain', 'gb18030'))
alt.attach(MIMEText("<div>我们将于12月5日付款。</div><blockquote>您好</blockquote>", 'html', 'gb18030'))
save('longteng', 'longteng@buyer.test', alt, refs=['older-%s@vendor.test' % U, 'r-longteng-%s@vendor.test' % U])
# From the debtor's contact, no thread, no token, no invoice: by sender.
save('jinfeng', 'jinfeng@buyer.test', MIMEText("请问你们的银行账户是多少？\n", 'plain', 'utf-8'), subject='问题')
# Out of office, threaded.
save('umbrella', 'umbrella@buyer.test', MIMEText("I am out of the office until 30 November 2026.\n", 'plain', 'utf-8'),
    irt='r-umbrella-%s@vendor.test' % U, subject='Automatic reply: Payment reminder', extra=[('Auto-Submitted', 'auto-replied')])
# Threaded, but from an address that is not the debtor's contact.
save('stranger', 'cfo@buyer.test', MIMEText("We will pay INV-2026-0142 next week.\n", 'plain', 'utf-8'),
    irt='r-acme-%s@vendor.test' % U)
# Nobody we know, nothing to match.
save('nobody', 'nobody@buyer.test', MIMEText("Hello, is this the right address for sales?\n", 'plain', 'utf-8'), subject='Question')
PY

send() { # FILE ENVELOPE-FROM
	curl -sS --max-time 15 "smtp://$SANDBOX_HOST:$SANDBOX_SMTP_PORT" --mail-from "$2" \
		--mail-rcpt ar@vendor.test --upload-file "$1" || fail "Postfix accepts $(basename "$1")"
}
send "$work/acme.eml" acme@buyer.test
send "$work/huaxin.eml" huaxin@buyer.test
send "$work/taipei.eml" taipei@buyer.test
send "$work/globex.eml" globex@buyer.test
send "$work/longteng.eml" longteng@buyer.test
send "$work/jinfeng.eml" jinfeng@buyer.test
send "$work/umbrella.eml" umbrella@buyer.test
send "$work/stranger.eml" cfo@buyer.test
send "$work/nobody.eml" nobody@buyer.test
# Our reminder to a mailbox that does not exist: Postfix sends a DSN back.
printf '%s\r\n' "From: ar@vendor.test" "To: nosuchuser@buyer.test" "Subject: Payment reminder [ref:DUN-GHOST]" \
	"Message-ID: <r-ghost-$U@vendor.test>" "Date: $(LC_ALL=C date -R)" "" "Invoice INV-2026-0901 is overdue." > "$work/ghost.eml"
curl -sS --max-time 15 --ssl-reqd --cacert "$SANDBOX_CA" --resolve "$SANDBOX_TLS_NAME:$SANDBOX_SUBMISSION_PORT:$SANDBOX_HOST" \
	"smtp://$SANDBOX_TLS_NAME:$SANDBOX_SUBMISSION_PORT" --user "ar@vendor.test:$SANDBOX_PASSWORD" \
	--mail-from ar@vendor.test --mail-rcpt nosuchuser@buyer.test --upload-file "$work/ghost.eml" || fail "submission accepts the reminder"

wfm=$top/tests/sandbox/wait-for-mail.sh
for k in acme huaxin taipei globex longteng jinfeng umbrella stranger nobody; do
	bash "$wfm" -m "$k-$U@buyer.test" ar@vendor.test INBOX 1 30 >/dev/null || fail "$k delivered to INBOX"
done
bash "$wfm" -m "r-ghost-$U@vendor.test" ar@vendor.test INBOX 1 30 >/dev/null || fail "DSN delivered to INBOX"

if out=$(dm poll 2>&1); then pass "poll succeeds"; else fail "poll succeeds" "$out"; fi

row() { q "SELECT $2 FROM message WHERE direction = 'in' AND message_id = '$1-$U@buyer.test'"; }
cases_of() { q "SELECT group_concat(i.number, ' ') FROM (SELECT i.number FROM message m JOIN message_case mc ON mc.message_id = m.id JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id WHERE m.direction = 'in' AND m.message_id = '$1-$U@buyer.test' ORDER BY i.number) i"; }
on_disk() { # KEY FOLDER -> number of files in that Maildir folder holding the message
	local dir=$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir
	[[ $2 != INBOX ]] && dir=$dir/.${2//\//.}
	grep -lF -- "$1" "$dir"/cur/* "$dir"/new/* 2>/dev/null | wc -l
}
expect() { # KEY CLASS METHOD "CASES" FOLDER
	local k=$1
	check_eq "$k: class" "$(row "$k" class)" "$2"
	check_eq "$k: matched by" "$(row "$k" match_method)" "$3"
	check_eq "$k: cases" "$(cases_of "$k")" "$4"
	check_eq "$k: folder recorded" "$(row "$k" folder)" "$5"
	check_eq "$k: in IMAP folder $5" "$(on_disk "$k-$U@buyer.test" "$5")" 1
	check_eq "$k: gone from INBOX" "$(on_disk "$k-$U@buyer.test" INBOX)" 0
}
expect acme promise_to_pay thread "INV-2026-0142 INV-2026-0168" "Dunning/Promise"
expect huaxin dispute thread "INV-2026-0146" "Dunning/Needs attention"
expect taipei hardship token "INV-2026-0166 INV-2026-0176" "Dunning/Needs attention"
expect globex dispute invoice "INV-2026-0177" "Dunning/Needs attention"
expect longteng promise_to_pay thread "INV-2026-0158 INV-2026-0181" "Dunning/Promise"
expect jinfeng unknown sender "INV-2026-0155 INV-2026-0174" "Dunning/Needs attention"
expect umbrella auto_reply thread "INV-2026-0171" "Dunning/Auto-reply"
# Threaded to acme's reminder (two cases), but it names one invoice: only
# that one. Not from a contact: a person decides (unverified_sender).
expect stranger promise_to_pay thread "INV-2026-0142" "Dunning/Needs attention"
expect nobody unknown none "" "Dunning/Needs attention"

# The debtor's own words only: decoded, no quoted reminder, no attribution,
# no Outlook/QQ header block (the `classified` event records them).
words() { q "SELECT json_extract(detail, '$.words') FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = '$1-$U@buyer.test') ORDER BY seq LIMIT 1"; }
check_eq "acme: own words (UTF-8, Gmail quote gone)" "$(words acme)" "We will pay both invoices next Friday."
check_eq "huaxin: own words (GBK, QQ quote gone)" "$(words huaxin)" "发票 INV-2026-0146 我们对金额有异议，数量不对，请核实。"
check_eq "taipei: own words (Big5, 寄件者/主旨 block gone)" "$(words taipei)" "我們公司目前資金周轉困難，能否分期付款？"
check_eq "globex: own words (HTML only, Outlook block gone)" "$(words globex)" "We dispute INV-2026-0177: the goods were returned."
check_eq "longteng: own words (multipart, GB18030, 写道 quote gone)" "$(words longteng)" "我们将于12月5日付款。"
check_eq "jinfeng: own words" "$(words jinfeng)" "请问你们的银行账户是多少？"
check_eq "taipei: Big5 subject decoded" "$(row taipei subject)" "回覆: 付款提醒 [ref:$TAIPEI_TOKEN]"
check_eq "huaxin: GBK subject decoded" "$(row huaxin subject)" "回复：付款提醒"
check_eq "umbrella: return date from the out-of-office text" \
	"$(q "SELECT json_extract(detail, '$.return_date') FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = 'umbrella-$U@buyer.test')")" 2026-11-30
check_eq "huaxin: the debtor's own words were classified (GBK decoded)" \
	"$(q "SELECT evidence <> '' FROM classification WHERE message_id = (SELECT id FROM message WHERE message_id = 'huaxin-$U@buyer.test')")" 1
check_eq "stranger: flagged as not a contact" "$(row stranger sender_contact)" 0
check_eq "acme: sender is a contact" "$(row acme sender_contact)" 1
check_eq "stranger: trail says so" "$(q "SELECT count(*) FROM event WHERE kind = 'sender_not_contact' AND message_id = (SELECT id FROM message WHERE message_id = 'stranger-$U@buyer.test')")" 1
check_eq "stranger: handed to a person, not trusted" "$(q "SELECT reason FROM handoff WHERE message_id = (SELECT id FROM message WHERE message_id = 'stranger-$U@buyer.test')")" unverified_sender
check_eq "dispute handed to a person (huaxin)" "$(q "SELECT reason FROM handoff WHERE message_id = (SELECT id FROM message WHERE message_id = 'huaxin-$U@buyer.test')")" dispute
check_eq "unmatched handed to a person" "$(q "SELECT reason FROM handoff WHERE message_id = (SELECT id FROM message WHERE message_id = 'nobody-$U@buyer.test')")" unmatched
check_eq "promise not handed off" "$(q "SELECT count(*) FROM handoff WHERE message_id = (SELECT id FROM message WHERE message_id = 'acme-$U@buyer.test')")" 0

# The DSN: matched to our reminder, contact invalid, handed off, filed.
dsn=$(q "SELECT id FROM message WHERE direction = 'in' AND class = 'bounce' AND match_method = 'bounce' AND debtor_id = (SELECT debtor_id FROM contact WHERE email = 'nosuchuser@buyer.test')")
if [[ -n $dsn ]]; then pass "DSN recognised as a bounce of our reminder"; else fail "DSN recognised as a bounce of our reminder" "$(q "SELECT id, class, match_method, subject FROM message WHERE direction = 'in' AND message_id NOT LIKE '%-$U@buyer.test'")"; fi
check_eq "hard bounce marks the contact invalid" "$(q "SELECT invalid FROM contact WHERE email = 'nosuchuser@buyer.test'")" 1
check_eq "hard bounce handed to a person" "$(q "SELECT reason FROM handoff WHERE message_id = '${dsn:-0}'")" bounce_hard
check_eq "DSN in Dunning/Needs attention" "$(on_disk "r-ghost-$U@vendor.test" "Dunning/Needs attention")" 1

# The workflow hook: each reply handed to a person, matched or not, is
# forwarded once to the hand-off address through the outbox, and filed
# under Needs attention.
check_eq "one forward per handed-off reply" \
	"$(q "SELECT count(*) FROM message WHERE direction = 'out' AND kind = 'forward'")" \
	"$(q "SELECT count(DISTINCT h.message_id) FROM handoff h JOIN message m ON m.id = h.message_id WHERE m.direction = 'in'")"
check_eq "the unmatched reply is forwarded too" "$(q "SELECT count(*) FROM message WHERE direction = 'out' AND kind = 'forward' AND debtor_id IS NULL")" 1
check_eq "every handed-off reply is filed under Needs attention" \
	"$(q "SELECT count(*) FROM message m WHERE m.direction = 'in' AND m.folder <> 'Dunning/Needs attention' AND EXISTS (SELECT 1 FROM handoff h WHERE h.message_id = m.id)")" 0
state_of() { q "SELECT c.state FROM dcase c JOIN invoice i ON i.id = c.invoice_id WHERE i.number = '$1'"; }
check_eq "huaxin's dispute moved the invoice it named to disputed" "$(state_of INV-2026-0146)" disputed
if [[ $(state_of INV-2026-0190) != disputed ]]; then pass "huaxin's other case is not disputed"; else fail "huaxin's other case is not disputed"; fi
check_eq "acme's promise moved both cases to promised" "$(state_of INV-2026-0142) $(state_of INV-2026-0168)" "promised promised"
# Every reply stored byte for byte under its SHA-256, and the trail verifies.
n_in=$(q "SELECT count(*) FROM message WHERE direction = 'in'")
n_blob=$(q "SELECT count(*) FROM message m JOIN blob b ON b.sha256 = m.sha256 WHERE m.direction = 'in'")
check_eq "every inbound message has its raw bytes stored" "$n_blob" "$n_in"
if out=$(dm verify 2>&1); then pass "trail verifies"; else fail "trail verifies" "$out"; fi
check_eq "one classification per message" "$(q "SELECT count(*) FROM classification")" "$n_in"

# Idempotent: a second poll changes nothing.
before=$(q "SELECT count(*) FROM event"):$(q "SELECT count(*) FROM classification")
if out=$(dm poll --json 2>&1) && grep -q '"stored":0,"duplicates":0,"processed":0' <<<"$out"; then pass "second poll finds nothing new"; else fail "second poll finds nothing new" "$out"; fi
check_eq "second poll writes nothing" "$(q "SELECT count(*) FROM event"):$(q "SELECT count(*) FROM classification")" "$before"

# The queue gives each hand-off the command that resolves it; one that
# matched no case is resolved by its id (assign INVOICE, or dismiss).
qjson() { dm queue --json | python3 -c 'import json, sys
L = [json.loads(l) for l in sys.stdin if l.strip()]
print("\n".join(str(eval(sys.argv[1])) for o in L if o["reason"] == sys.argv[2]))' "$1" "$2"; }
dm queue | sed 's/^/# /'
hid=$(qjson 'o["id"]' unmatched)
check_eq "queue: the unmatched reply's command names its hand-off" "$(qjson 'o["command"]' unmatched)" \
	"dunmail resolve --handoff $hid --action dismiss|assign INVOICE --note TEXT"
if out=$(dm resolve --handoff "${hid:-0}" --action assign INV-2026-0142 --note "acme's new AP address" 2>&1); then pass "resolve --handoff ID --action assign INVOICE"; else fail "resolve --handoff ID --action assign INVOICE" "$out"; fi
check_eq "assigned: the reply joins INV-2026-0142's case" "$(cases_of nobody)" INV-2026-0142
check_eq "assigned: recorded with the operator" "$(q "SELECT resolution || '|' || note FROM handoff WHERE id = ${hid:-0}")" "assign INV-2026-0142|acme's new AP address"
check_eq "assigned: it left the queue" "$(qjson 'o["id"]' unmatched)" ""
hid=$(qjson 'o["id"]' dispute | head -n1)
if out=$(dm resolve --handoff "${hid:-0}" --action dismiss --note x 2>&1); then fail "dismiss refused for a hand-off with a case" "$out"; else pass "dismiss refused for a hand-off with a case"; fi
if out=$(dm resolve --handoff "${hid:-0}" --action hold-until 2026-12-01 --note "agreed by phone" 2>&1); then pass "resolve --handoff ID with a case action"; else fail "resolve --handoff ID with a case action" "$out"; fi
check_eq "... decides its case" "$(state_of "$(q "SELECT i.number FROM handoff h JOIN dcase c ON c.id = h.case_id JOIN invoice i ON i.id = c.invoice_id WHERE h.id = ${hid:-0}")")" on_hold

# The forwards go out, whatever the debtors' hours; the one about no case
# has its own trail events, planned to sent, like any message.
if out=$(dm send 2>&1); then pass "send delivers the forwards"; else fail "send delivers the forwards" "$out"; fi
fwd=$(q "SELECT id FROM message WHERE direction = 'out' AND kind = 'forward' AND debtor_id IS NULL")
check_eq "the forward about no case is sent" "$(q "SELECT outbox_state FROM message WHERE id = ${fwd:-0}")" sent
check_eq "... and its trail says so: planned, sending, sent" \
	"$(q "SELECT group_concat(kind, ',') FROM (SELECT kind FROM event WHERE message_id = ${fwd:-0} AND case_id = 0 ORDER BY seq)")" \
	"planned,sending,sent"
if out=$(dm verify 2>&1); then pass "trail verifies after the forwards"; else fail "trail verifies after the forwards" "$out"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]

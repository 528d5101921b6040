#!/usr/bin/env bash
# Ingest benchmark: the sandbox's Dovecot holds N replies (default 5,000,
# plus a 1,000 mailbox to show memory is flat); time `mbsync` pulling the
# mailbox into a Maildir, then `dunmail poll` ingesting it (fetch, store raw,
# parse, strip, detect, classify, match, commit, file), in the same run.
# Prints each time, the ratio and dunmail's peak RSS at 1,000 and N.
#
#   bench/ingest.sh [N]          (needs root, the sandbox, mbsync, sqlite3)
#   DUNMAIL=path/to/dunmail bench/ingest.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
sandbox=$top/tests/sandbox/sandbox.sh
n=${1:-5000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$sandbox" status >/dev/null 2>&1 || bash "$sandbox" start >/dev/null
eval "$(bash "$sandbox" env)"
export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD
doveadm() { command doveadm -c "$SANDBOX_DOVECOT_CONFIG" "$@"; }
stamp=$(date +%s)
maildir=$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir

# fill BOX COUNT: replies written straight into the Maildir, then resynced.
fill() {
	local box=$1 count=$2
	doveadm mailbox create -u ar@vendor.test "$box"
	python3 - "$maildir/.$box/new" "$count" "$stamp" <<'PY'
import os, sys, random, email.utils
from email.mime.text import MIMEText
d, count, stamp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(4)
debtors = [('acme@buyer.test', 'INV-2026-0142', 'en'), ('globex@buyer.test', 'INV-2026-0177', 'en'),
           ('huaxin@buyer.test', 'INV-2026-0146', 'zh'), ('taipei@buyer.test', 'INV-2026-0166', 'zh'),
           ('umbrella@buyer.test', 'INV-2026-0171', 'en'), ('stranger@elsewhere.test', 'INV-9999', 'en')]
en = ["We will pay %s by the end of next week.", "We dispute %s: the goods arrived damaged.",
      "Payment for %s was made yesterday, remittance attached.", "Please send a copy of %s.",
      "We are in financial difficulty and cannot pay %s in full; can we pay in instalments?"]
zh = ["发票 %s 我们将于下周五付款。", "关于发票 %s，金额有误，我们有异议。", "发票 %s 已于昨日付款。", "请再发一份发票 %s。"]
quote_en = "\n\nOn Mon, 16 Nov 2026 at 09:00, Accounts Receivable <ar@vendor.test> wrote:\n" + "".join(
    "> Dear customer, invoice %d of our records is overdue; please arrange payment.\n" % i for i in range(40))
quote_zh = "\n\n------------------ 原始邮件 ------------------\n发件人: ar@vendor.test\n主题: 付款提醒\n\n" + "您好，以下发票已逾期，请尽快付款。\n" * 40
for i in range(count):
    frm, inv, lang = random.choice(debtors)
    body = (random.choice(zh) % inv + quote_zh) if lang == 'zh' else (random.choice(en) % inv + quote_en)
    m = MIMEText(body, 'plain', 'utf-8')
    m['From'] = frm; m['To'] = 'ar@vendor.test'; m['Subject'] = 'Re: Payment reminder %s' % inv
    m['Message-ID'] = '<bench-%s-%d@buyer.test>' % (stamp, i)
    m['Date'] = email.utils.formatdate()
    if i % 3 == 0:
        m['In-Reply-To'] = '<bench-sent-%s-%d@vendor.test>' % (stamp, i % 50)
    open(os.path.join(d, '%d.%d.bench:2,' % (1795000000 + i, i)), 'wb').write(m.as_bytes().replace(b'\n', b'\r\n'))
PY
	chown -R dunmail-vmail: "$maildir/.$box"
	doveadm force-resync -u ar@vendor.test "$box"
}

# setup BOX: a fresh store with the demo ledger and 50 sent reminders.
setup_store() {
	local box=$1 db=$work/$1.db
	bash "$top/tests/sandbox/dunmail-config.sh" "$db" |
		sed "s/^mailbox = INBOX/mailbox = $box/; s/^folder_root = Dunning/folder_root = $box-Filed/" > "$work/$box.conf"
	"$dunmail" -c "$work/$box.conf" init >/dev/null
	DUNMAIL_NOW=2026-11-20T09:00:00Z "$dunmail" -c "$work/$box.conf" import invoices "$top/contrib/demo/invoices.csv" >/dev/null
	for ((i = 0; i < 50; i++)); do
		echo "INSERT INTO message (direction, kind, debtor_id, message_id, outbox_state, created_at) VALUES ('out', 'reminder', 1, 'bench-sent-$stamp-$i@vendor.test', 'sent', 0);"
		echo "INSERT INTO message_case (message_id, case_id) VALUES (last_insert_rowid(), 1);"
	done | sqlite3 "$db"
}

mbsync_run() { # BOX -> seconds
	local box=$1
	mkdir -p "$work/mbsync-$box"
	cat > "$work/mbsyncrc-$box" <<RC
IMAPAccount sandbox
Host $SANDBOX_TLS_NAME
Port $SANDBOX_IMAPS_PORT
User ar@vendor.test
Pass $SANDBOX_PASSWORD
SSLType IMAPS
CertificateFile $SANDBOX_CA

IMAPStore far
Account sandbox

MaildirStore near
Path $work/mbsync-$box/
Inbox $work/mbsync-$box/INBOX

Channel bench
Far :far:$box
Near :near:$box
Sync Pull
Create Near
Expunge None
RC
	/usr/bin/time -f '%e %M' -o "$work/time-mbsync-$box" mbsync -q -c "$work/mbsyncrc-$box" bench
	cat "$work/time-mbsync-$box"
}

dunmail_run() { # BOX -> "seconds maxrss_kb"
	local box=$1
	/usr/bin/time -f '%e %M' -o "$work/time-dunmail-$box" \
		"$dunmail" -c "$work/$box.conf" poll --json > "$work/out-$box" 2>"$work/err-$box"
	cat "$work/time-dunmail-$box"
}

small=1000
echo "# filling Bench$small-$stamp ($small) and Bench$n-$stamp ($n) ..."
fill "Bench$small-$stamp" "$small"
fill "Bench$n-$stamp" "$n"
for count in $small $n; do
	box=Bench$count-$stamp
	setup_store "$box"
	read -r mt mrss < <(mbsync_run "$box")
	got=$(find "$work/mbsync-$box" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
	read -r dt drss < <(dunmail_run "$box")
	stored=$(sqlite3 "$work/$box.db" "SELECT count(*) FROM message WHERE direction = 'in' AND processed = 1 AND filed_at > 0")
	ratio=$(awk -v a="$dt" -v b="$mt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%6d messages: mbsync %6.2f s (%d fetched, peak RSS %d KiB) | dunmail %6.2f s (%d stored+processed+filed, peak RSS %d KiB) | ratio %s\n' \
		"$count" "$mt" "$got" "$mrss" "$dt" "$stored" "$drss" "$ratio"
	cat "$work/out-$box"
done

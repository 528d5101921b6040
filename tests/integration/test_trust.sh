#!/usr/bin/env bash
# Who may steer a case, against the real binary and the sandbox, through
# `dunmail deliver` (one store) and IMAP `poll` (another), with
# [inbound] authserv_id = mx.example.com: a stranger's promise, a forged
# From with the receiving server's dmarc=fail, a forged dmarc=pass below
# the real (topmost) failing header, an out-of-office and an invoice
# request from strangers each go to a person and change nothing; the
# authenticated contact's promise is honoured; a promise past
# max_promise_days goes to a person. Then `deliver`'s exit codes: a
# duplicate is taken once, a locked or read-only store gives 75, garbage
# is stored and handed off with 0; and the next poll files what deliver
# took.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dunmail=$(realpath "${DUNMAIL:-$top/build/dunmail}")
sandbox=$top/tests/sandbox/sandbox.sh
work=$(mktemp -d)
started=0 mounted=0
passed=0 failed=0

cleanup() {
	[[ $mounted == 1 ]] && { umount "$work/ro" 2>/dev/null || umount -l "$work/ro" 2>/dev/null; }
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
U=$(date +%s%N)-$$

# store NAME: a store and config trusting mx.example.com's verdict.
store() {
	mkdir -p "$work/$1"
	bash "$top/tests/sandbox/dunmail-config.sh" "$work/$1/d.db" > "$work/$1/d.conf"
	printf '\n[inbound]\nauthserv_id = mx.example.com\n' >> "$work/$1/d.conf"
	"$dunmail" -c "$work/$1/d.conf" init >/dev/null 2>&1
	"$dunmail" -c "$work/$1/d.conf" import invoices "$top/contrib/demo/invoices.csv" >/dev/null || fail "$1: import"
}
store dl
store im

# The messages, each as the receiving server (mx.example.com) would hand
# it on: its own Authentication-Results on top.
python3 - "$work" "$U" <<'PY'
import sys
work, U = sys.argv[1], sys.argv[2]
AR = 'Authentication-Results: mx.example.com; '
msgs = {
    # A stranger (authenticated for its own domain) promises for acme.
    'stranger': ('stranger@elsewhere.test', 'Re: INV-2026-0142',
                 [AR + 'dmarc=pass header.from=elsewhere.test'], [],
                 'We will pay by 15 December 2026.'),
    # acme's address, but the receiving server says DMARC failed.
    'forged': ('acme@buyer.test', 'Re: INV-2026-0142',
               [AR + 'spf=fail smtp.mailfrom=attacker.test;\r\n\tdkim=none;\r\n\tdmarc=fail (p=none) header.from=buyer.test'], [],
               'We will pay by 20 December 2026.'),
    # A forged pass below the real, failing one (and one of another id).
    'below': ('acme@buyer.test', 'Re: INV-2026-0186',
              [AR + 'dmarc=fail header.from=buyer.test',
               'Authentication-Results: mx.evil.test; dmarc=pass',
               AR + 'dmarc=pass header.from=buyer.test'], [],
              'We will pay by 21 December 2026.'),
    # The genuine, authenticated contact: honoured.
    'trusted': ('acme@buyer.test', 'Re: INV-2026-0168',
                [AR + 'spf=pass smtp.mailfrom=acme@buyer.test;\r\n dkim=pass header.d=buyer.test;\r\n dmarc=pass header.from=buyer.test'], [],
                'We will pay INV-2026-0168 by 10 December 2026.'),
    # A stranger's out-of-office with a far return date.
    'ooo': ('away@elsewhere.test', 'Automatic reply: INV-2026-0171',
            [AR + 'dmarc=pass header.from=elsewhere.test'],
            [('Auto-Submitted', 'auto-replied')],
            'I am out of the office until 10 January 2027.'),
    # A stranger asks for a copy of globex's invoice.
    'invreq': ('curious@elsewhere.test', 'INV-2026-0177',
               [AR + 'dmarc=pass header.from=elsewhere.test'], [],
               'Could you please send us a copy of invoice INV-2026-0177?'),
    # The authenticated contact (aligned DKIM), but a year away.
    'far': ('globex@buyer.test', 'Re: INV-2026-0150',
            [AR + 'dkim=pass (good) header.d=mail.buyer.test; dmarc=none'], [],
            'We will pay INV-2026-0150 by 30 October 2027.'),
}
for path in ('dl', 'im'):
    for key, (frm, subj, ars, extra, body) in msgs.items():
        lines = ars + ['From: %s' % frm, 'To: ar@vendor.test', 'Subject: %s' % subj,
                       'Message-ID: <%s-%s-%s@test>' % (key, path, U),
                       'Date: Fri, 20 Nov 2026 08:00:00 +0000', 'MIME-Version: 1.0',
                       'Content-Type: text/plain; charset=utf-8']
        lines += ['%s: %s' % h for h in extra]
        with open('%s/%s-%s.eml' % (work, path, key), 'wb') as f:
            f.write(('\r\n'.join(lines) + '\r\n\r\n' + body + '\r\n').encode())
PY
KEYS="stranger forged below trusted ooo invreq far"

# --- deliver: one message on stdin each --------------------------------
dlv() { "$dunmail" -c "$work/dl/d.conf" "$@"; }
di() { "$dunmail" -c "$work/im/d.conf" "$@"; }
snap() { # STORE INVOICE -> state|promised_on|hold_until
	sqlite3 "$work/$1/d.db" "SELECT c.state || '|' || ifnull(c.promised_on, '') || '|' || c.hold_until FROM dcase c JOIN invoice i ON i.id = c.invoice_id WHERE i.number = '$2'"
}
for s in dl im; do
	for inv in INV-2026-0142 INV-2026-0186 INV-2026-0171 INV-2026-0173 INV-2026-0177 INV-2026-0150; do
		eval "before_${s}_${inv//-/_}=\$(snap $s $inv)"
	done
done
for k in $KEYS; do
	rc=0; out=$(dlv deliver < "$work/dl-$k.eml" 2>&1) || rc=$?
	check_eq "deliver $k: exit 0" "$rc" 0
	[[ $rc == 0 ]] || echo "$out" | sed 's/^/    /' >&2
done

# --- IMAP: the same through Postfix and poll -----------------------------
for k in $KEYS; do
	curl -sS --max-time 15 "smtp://$SANDBOX_HOST:$SANDBOX_SMTP_PORT" --mail-from "x@elsewhere.test" \
		--mail-rcpt ar@vendor.test --upload-file "$work/im-$k.eml" || fail "Postfix accepts im-$k"
done
for k in $KEYS; do
	bash "$top/tests/sandbox/wait-for-mail.sh" -m "$k-im-$U@test" ar@vendor.test INBOX 1 30 >/dev/null || fail "im-$k delivered to INBOX"
done
if out=$(di poll 2>&1); then pass "im: poll succeeds"; else fail "im: poll succeeds" "$out"; fi

# --- the same outcome either way -----------------------------------------
for s in dl im; do
	q() { sqlite3 "$work/$s/d.db" "$@"; }
	mid() { echo "$1-$s-$U@test"; }
	handoff() { q "SELECT group_concat(reason, ',') FROM (SELECT DISTINCT reason FROM handoff WHERE message_id = (SELECT id FROM message WHERE direction = 'in' AND message_id = '$(mid "$1")'))"; }
	unchanged() { # INVOICE WHAT
		local var="before_${s}_${1//-/_}"
		check_eq "$s: $2: case $1 unchanged" "$(snap $s "$1")" "${!var}"
	}
	sends() { q "SELECT count(*) FROM event e JOIN dcase c ON c.id = e.case_id JOIN invoice i ON i.id = c.invoice_id WHERE json_extract(e.detail, '$.send') = '$1' AND i.number = '$2'"; }

	check_eq "$s: stranger's promise: to a person" "$(handoff stranger)" unverified_sender
	unchanged INV-2026-0142 "stranger's promise"
	check_eq "$s: stranger's promise: no promise_confirm" "$(sends promise_confirm INV-2026-0142)" 0
	check_eq "$s: stranger's promise: filed where people look" \
		"$(q "SELECT folder FROM message WHERE message_id = '$(mid stranger)'")" "Dunning/Needs attention"

	check_eq "$s: forged From, dmarc=fail: to a person" "$(handoff forged)" unverified_sender
	check_eq "$s: forged From: the verdict in the trail" \
		"$(q "SELECT json_extract(detail, '$.trusted') || '|' || json_extract(detail, '$.auth.authenticated') || '|' || (json_extract(detail, '$.auth.header') LIKE '%dmarc=fail%') FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = '$(mid forged)') LIMIT 1")" "0|0|1"

	check_eq "$s: forged pass below the real fail: to a person" "$(handoff below)" unverified_sender
	unchanged INV-2026-0186 "forged pass below"
	check_eq "$s: forged pass below: the topmost header was read" \
		"$(q "SELECT json_extract(detail, '$.auth.header') FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = '$(mid below)') LIMIT 1")" \
		"mx.example.com; dmarc=fail header.from=buyer.test"

	check_eq "$s: trusted contact's promise: honoured" "$(snap $s INV-2026-0168 | cut -d'|' -f1-2)" "promised|2026-12-10"
	check_eq "$s: trusted contact's promise: not handed off" "$(handoff trusted)" ""
	check_eq "$s: trusted contact's promise: promise_confirm asked" "$(sends promise_confirm INV-2026-0168)" 1
	check_eq "$s: trusted: trail says authenticated" \
		"$(q "SELECT json_extract(detail, '$.trusted') || '|' || json_extract(detail, '$.auth.verdict') FROM event WHERE kind = 'classified' AND message_id = (SELECT id FROM message WHERE message_id = '$(mid trusted)') LIMIT 1")" "1|dmarc=pass"

	check_eq "$s: stranger's out-of-office: to a person" "$(handoff ooo)" unverified_sender
	unchanged INV-2026-0171 "stranger's out-of-office"
	unchanged INV-2026-0173 "stranger's out-of-office (the debtor's other case)"

	check_eq "$s: stranger's invoice request: to a person" "$(handoff invreq)" unverified_sender
	unchanged INV-2026-0177 "stranger's invoice request"
	check_eq "$s: stranger's invoice request: no copy" "$(q "SELECT count(*) FROM event WHERE json_extract(detail, '$.send') = 'invoice_copy'")" 0

	check_eq "$s: promise past max_promise_days: to a person" "$(handoff far)" promise_too_far
	unchanged INV-2026-0150 "promise past max_promise_days"

	check_eq "$s: only the trusted promise asks for a confirmation" \
		"$(q "SELECT count(*) FROM event WHERE json_extract(detail, '$.send') = 'promise_confirm'")" 1
	# The forward says why, for the person who reads it.
	fwd=$(q "SELECT b.sha256 FROM message m JOIN blob b ON b.sha256 = m.sha256 WHERE m.direction = 'out' AND m.kind = 'forward' AND m.subject LIKE '%unverified_sender%' ORDER BY m.id LIMIT 1")
	q "SELECT writefile('$work/$s-fwd.eml', data) FROM blob WHERE sha256 = '$fwd'" >/dev/null 2>&1 ||
		q "SELECT hex(data) FROM blob WHERE sha256 = '$fwd'" | xxd -r -p > "$work/$s-fwd.eml"
	check_eq "$s: the forward's summary says the sender is not verified" \
		"$(python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
t = next(p for p in m.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
print(int("Trust:      NOT verified: the sender is not one of the debtor" in t or "Trust:      NOT verified: the sender is a contact but the message is not authenticated" in t))' "$work/$s-fwd.eml" 2>&1)" 1
	if out=$("$dunmail" -c "$work/$s/d.conf" verify 2>&1); then pass "$s: trail verifies"; else fail "$s: trail verifies" "$out"; fi
done

# --- deliver's exit codes -------------------------------------------------
q() { sqlite3 "$work/dl/d.db" "$@"; }
rc=0; dlv deliver < "$work/dl-stranger.eml" >/dev/null 2>&1 || rc=$?
check_eq "duplicate: exit 0" "$rc" 0
check_eq "duplicate: taken once" "$(q "SELECT count(*) FROM message WHERE direction = 'in' AND message_id = 'stranger-dl-$U@test'")" 1
check_eq "duplicate: processed once" "$(q "SELECT count(*) FROM classification WHERE message_id = (SELECT id FROM message WHERE message_id = 'stranger-dl-$U@test')")" 1

head -c 20000 /dev/urandom > "$work/garbage.bin"
rc=0; dlv deliver < "$work/garbage.bin" >/dev/null 2>&1 || rc=$?
check_eq "garbage: exit 0" "$rc" 0
gsha=$(sha256sum "$work/garbage.bin" | cut -d' ' -f1)
check_eq "garbage: stored byte for byte" "$(q "SELECT count(*) FROM message m JOIN blob b ON b.sha256 = m.sha256 WHERE m.sha256 = '$gsha'")" 1
check_eq "garbage: handed to a person" "$(q "SELECT count(*) FROM handoff WHERE message_id = (SELECT id FROM message WHERE sha256 = '$gsha')")" 1

# A held write lock: 75 (after the store's busy wait), nothing stored;
# once it is free, the same message is taken.
printf '%s\r\n' "From: acme@buyer.test" "Subject: locked" "Message-ID: <locked-$U@test>" "" "hello" > "$work/locked.eml"
rc=$(python3 - "$work/dl/d.db" "$dunmail" "$work/dl/d.conf" "$work/locked.eml" <<'PY'
import sqlite3, subprocess, sys
db, dm, conf, msg = sys.argv[1:]
c = sqlite3.connect(db, isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
r = subprocess.run([dm, '-c', conf, 'deliver'], stdin=open(msg, 'rb'), capture_output=True)
c.execute('ROLLBACK')
print(r.returncode)
PY
)
check_eq "locked store: exit 75" "$rc" 75
check_eq "locked store: nothing stored" "$(q "SELECT count(*) FROM message WHERE message_id = 'locked-$U@test'")" 0
rc=0; dlv deliver < "$work/locked.eml" >/dev/null 2>&1 || rc=$?
check_eq "lock free again: taken" "$rc:$(q "SELECT count(*) FROM message WHERE message_id = 'locked-$U@test'")" "0:1"

# A store on a read-only file system (root can write anywhere else).
mkdir -p "$work/ro"
if [[ $(id -u) -eq 0 ]] && mount -t tmpfs -o size=16m tmpfs "$work/ro" 2>/dev/null; then
	mounted=1
	cp "$work/dl/d.db" "$work/ro/d.db"
	sed "s|^path = .*|path = $work/ro/d.db|" "$work/dl/d.conf" > "$work/ro.conf"
	mount -o remount,ro "$work/ro"
	rc=0; "$dunmail" -c "$work/ro.conf" deliver < "$work/dl-stranger.eml" >/dev/null 2>&1 || rc=$?
	check_eq "read-only store: exit 75" "$rc" 75
	rc=0; printf 'From: x\r\n\r\nnew\r\n' | "$dunmail" -c "$work/ro.conf" deliver >/dev/null 2>&1 || rc=$?
	check_eq "read-only store, a new message: exit 75" "$rc" 75
else
	echo "# skip: read-only store (needs root and a tmpfs mount)"
fi
rc=0; "$dunmail" -c "$work/dl/d.conf" deliver --bogus < /dev/null >/dev/null 2>&1 || rc=$?
check_eq "wrong command line: exit 64" "$rc" 64

# --- the next poll files what deliver took ------------------------------
nd=$(q "SELECT count(*) FROM message WHERE direction = 'in' AND mailbox = '(deliver)'")
if out=$(dlv poll 2>&1); then pass "dl: poll succeeds"; else fail "dl: poll succeeds" "$out"; fi
check_eq "every delivered message is filed" "$(q "SELECT count(*) FROM message WHERE direction = 'in' AND mailbox = '(deliver)' AND filed_at > 0")" "$nd"
on_disk() { # MESSAGE-ID FOLDER
	local dir=$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir/.${2//\//.}
	grep -lF -- "$1" "$dir"/cur/* "$dir"/new/* 2>/dev/null | wc -l
}
check_eq "the stranger's promise is in Dunning/Needs attention" "$(on_disk "stranger-dl-$U@test" "Dunning/Needs attention")" 1
check_eq "the trusted promise is in Dunning/Promise" "$(on_disk "trusted-dl-$U@test" "Dunning/Promise")" 1
if out=$(dlv poll 2>&1); then pass "dl: second poll succeeds"; else fail "dl: second poll succeeds" "$out"; fi
check_eq "filed once" "$(on_disk "stranger-dl-$U@test" "Dunning/Needs attention")" 1
if out=$(dlv verify 2>&1); then pass "dl: trail verifies after filing"; else fail "dl: trail verifies after filing" "$out"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]

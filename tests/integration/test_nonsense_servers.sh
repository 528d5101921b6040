#!/usr/bin/env bash
# Servers that answer nonsense: `dunmail send` and `dunmail poll` against
# a fake SMTP and a fake IMAP server (tests/integration/nonsense_server.py,
# on loopback, no sandbox needed) that play one broken scenario each: a
# greeting that is not the protocol, binary junk, a refusal, a reply that
# never ends, a malformed reply code, a wrong tag, a literal announced
# longer than what comes, unbalanced parentheses, silence.
#
# For each: dunmail exits without a signal, non-zero when it could not do
# its job; no sanitizer report; the error names the server (host:port) and
# says what was wrong; `dunmail verify` passes; nothing is recorded as
# sent that the server did not accept with a 250 after the end of data,
# nothing stored or filed that was not fetched whole. Then the same store
# against a well-behaved fake: every due reminder goes exactly once (or
# stays 'unknown' with a person, never resent), every reply is stored and
# filed exactly once.
#
#   DUNMAIL=build/dunmail bash tests/integration/test_nonsense_servers.sh
#
# Prints "N passed, M failed" at the end; exits non-zero on failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${DUNMAIL_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
DUNMAIL=${DUNMAIL:-$REPO/build/dunmail}

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok   - %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$1"; [[ -z ${2:-} ]] || printf '%s\n' "$2" | sed 's/^/       /'; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what" "${detail:-}"; fi; detail=; }
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
    exit
}

for c in python3 sqlite3; do
    command -v "$c" >/dev/null 2>&1 || { echo "# $c is not installed: skipped"; exit 77; }
done
[[ -x $DUNMAIL ]] || { fail "dunmail binary at $DUNMAIL (set \$DUNMAIL)"; finish; }
DUNMAIL=$(realpath "$DUNMAIL")

# A sanitizer build reports leaks and undefined behaviour on stderr.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$REPO/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export DUNMAIL_IMAP_PASSWORD=nonsense-test
# [smtp] and [imap] timeout: what a silent server costs, per message.
TIMEOUT=3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-nonsense-test.XXXXXX")
server_pids=()
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "# work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_server smtp|imap: the fake, its port in SMTP_PORT / IMAP_PORT.
start_server() {
    local proto=$1 dir=$WORK/$1-server i port=
    mkdir -p "$dir"
    python3 "$HERE/nonsense_server.py" "$proto" "$dir" >"$dir/port" 2>"$dir/stderr" &
    server_pids+=($!)
    for ((i = 0; i < 50; i++)); do
        port=$(head -n 1 "$dir/port" 2>/dev/null)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { fail "the fake $proto server starts" "$(cat "$dir/stderr")"; finish; }
    printf -v "${proto^^}_PORT" '%s' "$port"
}
start_server smtp
start_server imap
SMTP_DIR=$WORK/smtp-server
IMAP_DIR=$WORK/imap-server

# make_store DIR: a config talking to the fakes, and the demo ledger's
# store (a copy of one import).
make_config() {
    cat >"$1/dunmail.conf" <<CONF
[sender]
name = Accounts Receivable
company = Acme Vendor Ltd
email = ar@vendor.test
phone = +44 117 496 0000
payment_instructions = Bank transfer to Acme Vendor Ltd, quoting the invoice number.

[store]
path = $1/dunmail.db

[templates]
dir = $REPO/templates

[defaults]
timezone = Europe/London
language = en

[smtp]
host = 127.0.0.1
port = $SMTP_PORT
tls = none
allow_plaintext_loopback = yes
timeout = $TIMEOUT

[imap]
host = 127.0.0.1
port = $IMAP_PORT
tls = none
allow_plaintext_loopback = yes
timeout = $TIMEOUT
user = ar@vendor.test
password_env = DUNMAIL_IMAP_PASSWORD
mailbox = INBOX
folder_root = Dunning
sent_folder =

[policy]
stages = -7 before_due, 0 due_today, +3 overdue_1, +10 overdue_2, +30 final_notice
min_gap_days = 7
window = 09:00-17:00
weekdays = mon-fri
max_per_week = 2
CONF
}

BASE=$WORK/base
mkdir -p "$BASE"
make_config "$BASE"
if ! out=$("$DUNMAIL" -c "$BASE/dunmail.conf" init 2>&1 &&
    DUNMAIL_NOW=2026-11-02T08:00:00Z "$DUNMAIL" -c "$BASE/dunmail.conf" \
    import invoices "$REPO/contrib/demo/invoices.csv" 2>&1); then
    fail "import the demo ledger" "$out"
    finish
fi
make_store() {
    mkdir -p "$1"
    make_config "$1"
    sqlite3 "$BASE/dunmail.db" ".backup '$1/dunmail.db'"
}

# Reminders are due on Monday 16 November 2026 at 14:00 UTC (inside every
# debtor's window); the good run comes half an hour later, when the
# retries of the first attempt are due.
T1=2026-11-16T14:00:00Z
T2=2026-11-16T14:30:00Z
due=$(DUNMAIL_NOW=$T1 "$DUNMAIL" -c "$BASE/dunmail.conf" send --dry-run 2>&1 | grep -c '^would send')
check "reminders are due at $T1 ($due)" test "$due" -gt 0

q() { sqlite3 "$1/dunmail.db" "$2"; }
# shellcheck disable=SC2317  # called through check
verifies() { "$DUNMAIL" -c "$1/dunmail.conf" verify >/dev/null 2>&1; }

# common_checks WHAT DIR RC FRAGMENT PORT: what every nonsense run owes.
common_checks() {
    local what=$1 dir=$2 rc=$3 fragment=$4 port=$5 err=$2/err
    detail="exit $rc"
    check "$what: no signal, no time-out (exit $rc)" test "$rc" -lt 124
    detail=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$err" | head -5)
    check "$what: no sanitizer report" test -z "$detail"
    if [[ -n $fragment ]]; then
        detail=$(cat "$err")
        check "$what: the error names 127.0.0.1:$port" grep -qF "127.0.0.1:$port" "$err"
        detail=$(cat "$err")
        check "$what: the error says \"$fragment\"" grep -qF -- "$fragment" "$err"
    fi
    detail=$("$DUNMAIL" -c "$dir/dunmail.conf" verify 2>&1)
    check "$what: dunmail verify passes" verifies "$dir"
}

# --- SMTP -----------------------------------------------------------------

# smtp_case SCENARIO WANT_RC FRAGMENT: one nonsense run, then a good one.
# WANT_RC: "fail" (non-zero) or "doubt" (the end of data went out and no
# usable answer came: those messages go to a person, and after two in a
# row the run stops, exit 75, the rest waiting). A message whose end of
# data the fake saw may be 'unknown'; no other may be, and never more
# than two.
smtp_case() {
    local name=$1 want=$2 fragment=$3 dir=$WORK/smtp-$1 rc=0 what="smtp $1"
    local n bad id
    make_store "$dir"
    echo "$name" >"$SMTP_DIR/scenario"
    DUNMAIL_NOW=$T1 timeout 100 "$DUNMAIL" -c "$dir/dunmail.conf" send \
        >"$dir/out" 2>"$dir/err" || rc=$?
    common_checks "$what" "$dir" "$rc" "$fragment" "$SMTP_PORT"
    if [[ $want == fail ]]; then
        detail=$(cat "$dir/err")
        check "$what: exits non-zero" test "$rc" -ne 0
    else
        detail=$(cat "$dir/err")
        check "$what: hands the unknown to a person" \
            grep -q "need a person" "$dir/err"
        if ((due > 2)); then
            check "$what: stops after two in a row (exit $rc)" test "$rc" -eq 75
            check "$what: says why it stopped" grep -q "2 messages in a row went unanswered" "$dir/err"
        fi
    fi
    n=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state = 'unknown'")
    detail=$(q "$dir" "SELECT message_id, outbox_state FROM message WHERE direction = 'out'")
    check "$what: at most two put in doubt ($n)" test "$n" -le 2
    n=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state IN ('sent', 'sending')")
    detail=$(q "$dir" "SELECT message_id, outbox_state FROM message WHERE direction = 'out'")
    check "$what: nothing sent or left sending" test "$n" -eq 0
    bad=$(q "$dir" "SELECT count(*) FROM recipient WHERE status = 'accepted' AND smtp_code NOT BETWEEN 200 AND 299")
    detail=$(q "$dir" "SELECT * FROM recipient")
    check "$what: no recipient 'accepted' without a 2xx" test "$bad" -eq 0
    bad=0
    for id in $(q "$dir" "SELECT message_id FROM message WHERE direction = 'out' AND outbox_state = 'unknown'"); do
        grep -qxF "$id" "$SMTP_DIR/eod" 2>/dev/null || bad=$((bad + 1))
    done
    detail=
    check "$what: 'unknown' only where the end of data went out" test "$bad" -eq 0

    # The same store against a server that accepts everything.
    echo good >"$SMTP_DIR/scenario"
    rc=0
    DUNMAIL_NOW=$T2 timeout 100 "$DUNMAIL" -c "$dir/dunmail.conf" send \
        >"$dir/out2" 2>"$dir/err2" || rc=$?
    detail=$(cat "$dir/err2")
    check "$what, then good: exits 0" test "$rc" -eq 0
    detail=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$dir/err2" | head -5)
    check "$what, then good: no sanitizer report" test -z "$detail"
    n=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'out' AND outbox_state NOT IN ('sent', 'unknown')")
    detail=$(q "$dir" "SELECT message_id, outbox_state, last_error FROM message WHERE direction = 'out'")
    check "$what, then good: every message sent or with a person" test "$n" -eq 0
    n=$(q "$dir" "SELECT count(DISTINCT debtor_id) FROM message WHERE direction = 'out'")
    check "$what, then good: one message per due debtor ($n of $due)" test "$n" -eq "$due"
    bad=0
    for id in $(q "$dir" "SELECT message_id FROM message WHERE direction = 'out' AND outbox_state = 'sent'"); do
        [[ $(grep -cxF "$id" "$SMTP_DIR/accepted") -eq 1 ]] || bad=$((bad + 1))
    done
    for id in $(q "$dir" "SELECT message_id FROM message WHERE direction = 'out' AND outbox_state = 'unknown'"); do
        grep -qxF "$id" "$SMTP_DIR/accepted" 2>/dev/null && bad=$((bad + 1))
    done
    detail=
    check "$what, then good: each sent once, no unknown resent" test "$bad" -eq 0
    n=$(DUNMAIL_NOW=$T2 "$DUNMAIL" -c "$dir/dunmail.conf" send --dry-run 2>&1 | grep -c '^would send')
    check "$what, then good: nothing left due" test "$n" -eq 0
    detail=$("$DUNMAIL" -c "$dir/dunmail.conf" verify 2>&1)
    check "$what, then good: dunmail verify passes" verifies "$dir"
}

started=$SECONDS
smtp_case not_smtp fail 'greeted with "HELLO I AM NOT SMTP", which is not SMTP'
smtp_case binary fail 'greeted with "\x00\x01\x02'
smtp_case greet_554 fail 'refused the session: 554 5.3.2 no SMTP service here'
smtp_case ehlo_flood fail 'its reply to EHLO ran past 16 KiB without ending'
smtp_case long_line fail 'no usable reply to the greeting'
smtp_case eod_999 doubt 'answered the end of data with "999 what", which is not an SMTP reply; the message may have been accepted'
smtp_case eod_close doubt 'no usable reply to the end of data'
smtp_case eod_silent doubt "said nothing for $TIMEOUT s when it should have answered the end of data"
smtp_case rcpt_25O fail 'answered RCPT TO with "25O ok", which is not an SMTP reply'
smtp_case silent fail "said nothing for $TIMEOUT s when it should have answered the greeting"
echo "# SMTP scenarios: $((SECONDS - started)) s"

# --- IMAP -----------------------------------------------------------------

# imap_case SCENARIO WANT_RC FRAGMENT: one poll against the scenario, then
# one against the good fake. Nothing may be filed (moved, flagged,
# expunged) on the server but what was stored, and the mailbox mark never
# passes what was stored.
imap_case() {
    local name=$1 want=$2 fragment=$3 dir=$WORK/imap-$1 rc=0 what="imap $1"
    local n stored moved mark
    make_store "$dir"
    echo "$name" >"$IMAP_DIR/scenario"
    : >"$IMAP_DIR/changed"
    DUNMAIL_NOW=$T1 timeout 100 "$DUNMAIL" -c "$dir/dunmail.conf" poll \
        >"$dir/out" 2>"$dir/err" || rc=$?
    common_checks "$what" "$dir" "$rc" "$fragment" "$IMAP_PORT"
    if [[ $want == fail ]]; then
        detail=$(cat "$dir/err")
        check "$what: exits non-zero" test "$rc" -ne 0
    else
        detail=$(cat "$dir/err")
        check "$what: exits 0" test "$rc" -eq 0
    fi
    stored=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'in'")
    moved=$(grep -c . "$IMAP_DIR/changed")
    detail="stored $stored; changed on the server: $(cat "$IMAP_DIR/changed")"
    if [[ $name == move_garbage ]]; then
        check "$what: both replies stored, none marked filed" test "$stored" -eq 2 -a \
            "$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'in' AND filed_at > 0")" -eq 0
    elif [[ $want == fail ]]; then
        check "$what: nothing stored, nothing changed on the server" test "$stored" -eq 0 -a "$moved" -eq 0
    fi
    mark=$(q "$dir" "SELECT coalesce(max(last_uid), 0) FROM mailbox")
    n=$(q "$dir" "SELECT coalesce(max(uid), 0) FROM message WHERE direction = 'in'")
    detail="mark $mark, highest stored UID $n"
    check "$what: the mailbox mark does not pass what was stored" test "$mark" -le "$n"

    # What both polls changed on the server, together.
    echo good >"$IMAP_DIR/scenario"
    rc=0
    DUNMAIL_NOW=$T2 timeout 100 "$DUNMAIL" -c "$dir/dunmail.conf" poll \
        >"$dir/out2" 2>"$dir/err2" || rc=$?
    detail=$(cat "$dir/err2")
    check "$what, then good: exits 0" test "$rc" -eq 0
    detail=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$dir/err2" | head -5)
    check "$what, then good: no sanitizer report" test -z "$detail"
    n=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'in' AND processed = 1 AND filed_at > 0")
    stored=$(q "$dir" "SELECT count(*) FROM message WHERE direction = 'in'")
    detail="stored $stored, processed and filed $n"
    check "$what, then good: both replies stored, processed, filed once" test "$stored" -eq 2 -a "$n" -eq 2
    detail=$(cat "$IMAP_DIR/changed")
    check "$what, then good: UIDs 1 and 2 moved once each" \
        test "$(grep -oE '^UID MOVE [0-9,:]+' "$IMAP_DIR/changed" | cut -d' ' -f3 | tr ',' '\n' | sort | tr '\n' ' ')" = "1 2 "
    detail=$("$DUNMAIL" -c "$dir/dunmail.conf" verify 2>&1)
    check "$what, then good: dunmail verify passes" verifies "$dir"
}

started=$SECONDS
imap_case not_imap fail 'greeted with "HELLO I AM NOT IMAP", which is not IMAP'
imap_case binary fail 'greeted with "\x00\x01\x02'
imap_case bye fail 'refused the session in its greeting: "* BYE no IMAP service here today"'
imap_case wrong_tag fail 'answered CAPABILITY with "X1 OK done", which is not an IMAP response'
imap_case garbage_tag fail 'answered CAPABILITY with "\x01\x02 )))( {{{ nonsense 1"'
imap_case literal_short fail 'closed the connection in the middle of its answer to UID FETCH'
imap_case parens fail 'answered UID FETCH (listing) with "* 1 FETCH (UID 1 RFC822.SIZE'
imap_case move_garbage fail 'answered UID MOVE with'
imap_case silent fail "said nothing for $TIMEOUT s after connecting"
# A count that does not fit 32 bits is not used for anything: the poll
# goes on by UID and does its job.
imap_case exists_huge 0 ''
echo "# IMAP scenarios: $((SECONDS - started)) s"

finish

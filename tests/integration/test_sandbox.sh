#!/usr/bin/env bash
# Integration test of the real mail sandbox (tests/sandbox/sandbox.sh):
# submission with STARTTLS + AUTH and a verified certificate, delivery to
# IMAP, TLS verification failures on the wrong-host / unknown-CA ports, and
# a real bounce (DSN) for an unknown recipient.
#
#   bash tests/integration/test_sandbox.sh      (from anywhere; needs root)
#   SANDBOX_REUSE=1 ...                         use a sandbox that is already running
#
# Prints "N passed, M failed" on its own line at the end; exits non-zero on failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SANDBOX=$REPO/tests/sandbox/sandbox.sh
WAIT_FOR_MAIL=$REPO/tests/sandbox/wait-for-mail.sh
DELIVERY_TIMEOUT=${SANDBOX_TEST_TIMEOUT:-20}

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok   - %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$1"; [[ -z ${2:-} ]] || printf '%s\n' "$2" | sed 's/^/       /'; }
check() { # check NAME COMMAND... : pass if the command succeeds
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
    exit
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-sandbox-test.XXXXXX")
started_here=0
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    rm -rf "$WORK"
    if [[ $started_here -eq 1 ]]; then
        bash "$SANDBOX" stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

for c in curl ss; do
    if ! command -v "$c" >/dev/null 2>&1; then
        fail "tool '$c' is installed (apt-get install -y curl iproute2)"
        finish
    fi
done

# --- start or reuse -----------------------------------------------------------
if [[ ${SANDBOX_REUSE:-0} == 1 ]] && bash "$SANDBOX" status >/dev/null 2>&1; then
    echo "# reusing the running sandbox"
else
    t0=$(date +%s%N)
    if out=$(bash "$SANDBOX" start 2>&1); then
        started_here=1
        pass "sandbox starts ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
    else
        started_here=1
        fail "sandbox starts" "$out"
        finish
    fi
fi
eval "$(bash "$SANDBOX" env)"
PASS=$SANDBOX_PASSWORD
N=$SANDBOX_TLS_NAME
# Certificates name localhost/mail.vendor.test: connect to the sandbox host
# but verify the name.
resolve() { printf -- '--resolve\n%s:%s:%s\n' "$N" "$1" "${2:-$SANDBOX_HOST}"; }
CURL=(curl -sS --max-time 15)

UNIQ="$(date +%s%N)-$$-$RANDOM"

# make_msg FILE FROM TO SUBJECT MESSAGE-ID
make_msg() {
    printf '%s\r\n' \
        "From: <$2>" \
        "To: <$3>" \
        "Subject: $4" \
        "Message-ID: $5" \
        "Date: $(LC_ALL=C date -R)" \
        "MIME-Version: 1.0" \
        "Content-Type: text/plain; charset=utf-8" \
        "" \
        "Dear customer, invoice INV-$UNIQ is overdue." \
        "" >"$1"
}

# imap_search USER MAILBOX CRITERIA -> prints matching UIDs (space separated)
imap_search() {
    local out
    mapfile -t rs < <(resolve "$SANDBOX_IMAPS_PORT")
    out=$("${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" \
        "imaps://$N:$SANDBOX_IMAPS_PORT/$2" -u "$1:$PASS" -X "UID SEARCH $3" 2>/dev/null) || return 1
    printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^\* SEARCH *//p' | head -n1
}

# wait_uid USER MAILBOX CRITERIA -> prints the first UID once it exists
wait_uid() {
    local deadline=$((SECONDS + DELIVERY_TIMEOUT)) uids
    while :; do
        uids=$(imap_search "$@" || true)
        if [[ -n $uids ]]; then
            printf '%s\n' "${uids%% *}"
            return 0
        fi
        ((SECONDS < deadline)) || return 1
        sleep 0.3
    done
}

imap_fetch() { # USER MAILBOX UID
    mapfile -t rs < <(resolve "$SANDBOX_IMAPS_PORT")
    "${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" \
        "imaps://$N:$SANDBOX_IMAPS_PORT/$2;UID=$3" -u "$1:$PASS"
}

# --- nothing of ours listens outside loopback --------------------------------
bad=""
for p in $SANDBOX_IMAP_PORT $SANDBOX_IMAPS_PORT $SANDBOX_IMAPS_WRONGHOST_PORT $SANDBOX_IMAPS_UNKNOWNCA_PORT \
    $SANDBOX_SUBMISSION_PORT $SANDBOX_SMTPS_PORT $SANDBOX_SMTP_PORT; do
    addrs=$(ss -Hltn "sport = :$p" | awk '{print $4}')
    [[ -n $addrs ]] || bad="$bad $p:not-listening"
    for a in $addrs; do
        [[ $a == 127.* ]] || bad="$bad $a"
    done
done
for pidfile in "$DUNMAIL_SANDBOX_DIR"/dovecot/*/run/master.pid "$DUNMAIL_SANDBOX_DIR"/postfix/spool/pid/master.pid; do
    pid=$(tr -dc 0-9 <"$pidfile" 2>/dev/null || true)
    [[ -n $pid ]] || { bad="$bad no-pid:$pidfile"; continue; }
    for a in $(ss -Hltnp | grep -E "pid=$pid," | awk '{print $4}'); do
        [[ $a == 127.* ]] || bad="$bad $a(pid $pid)"
    done
done
if [[ -z $bad ]]; then pass "sandbox listens only on 127.0.0.0/8"; else fail "sandbox listens only on 127.0.0.0/8" "$bad"; fi

# --- submission: STARTTLS + AUTH, certificate and host name verified ---------
MID1="<sandbox-$UNIQ@vendor.test>"
SUBJ1="sandbox test $UNIQ"
make_msg "$WORK/m1.eml" ar@vendor.test acme@buyer.test "$SUBJ1" "$MID1"
mapfile -t rs < <(resolve "$SANDBOX_SUBMISSION_PORT")
check "submission :$SANDBOX_SUBMISSION_PORT STARTTLS+AUTH with verified cert accepts mail" \
    "${CURL[@]}" --ssl-reqd --cacert "$SANDBOX_CA" "${rs[@]}" "smtp://$N:$SANDBOX_SUBMISSION_PORT" \
    --user "ar@vendor.test:$PASS" --mail-from ar@vendor.test --mail-rcpt acme@buyer.test \
    --upload-file "$WORK/m1.eml"

if "${CURL[@]}" "smtp://$SANDBOX_HOST:$SANDBOX_SUBMISSION_PORT" --user "ar@vendor.test:$PASS" \
    --mail-from ar@vendor.test --mail-rcpt acme@buyer.test --upload-file "$WORK/m1.eml" >"$WORK/out" 2>&1; then
    fail "submission refuses AUTH/mail without STARTTLS"
else
    pass "submission refuses AUTH/mail without STARTTLS"
fi
if "${CURL[@]}" --ssl-reqd --cacert "$SANDBOX_CA" "${rs[@]}" "smtp://$N:$SANDBOX_SUBMISSION_PORT" \
    --user "ar@vendor.test:wrong-$PASS" --mail-from ar@vendor.test --mail-rcpt acme@buyer.test \
    --upload-file "$WORK/m1.eml" >"$WORK/out" 2>&1; then
    fail "submission refuses a wrong password"
else
    pass "submission refuses a wrong password"
fi
if "${CURL[@]}" --ssl-reqd --cacert "$SANDBOX_CA" "${rs[@]}" "smtp://$N:$SANDBOX_SUBMISSION_PORT" \
    --mail-from ar@vendor.test --mail-rcpt acme@buyer.test --upload-file "$WORK/m1.eml" >"$WORK/out" 2>&1; then
    fail "submission refuses mail without AUTH"
else
    pass "submission refuses mail without AUTH"
fi

# --- delivered into acme's INBOX, seen over IMAPS with a verified cert --------
if uid=$(wait_uid acme@buyer.test INBOX "HEADER Message-ID \"$MID1\""); then
    pass "message reached acme@buyer.test INBOX over IMAPS (uid $uid)"
    msg=$(imap_fetch acme@buyer.test INBOX "$uid" 2>&1 | tr -d '\r')
    if grep -qF "Subject: $SUBJ1" <<<"$msg" && grep -qF "Message-ID: $MID1" <<<"$msg"; then
        pass "fetched message has its Subject and Message-ID"
    else
        fail "fetched message has its Subject and Message-ID" "$msg"
    fi
    # unfold the header lines, then look at Postfix's Received line
    received=$(sed '/^$/q' <<<"$msg" | awk '/^[ \t]/ {line = line " " $0; next} {if (line != "") print line; line = $0} END {print line}' | grep -i '^Received:')
    if grep -q 'with ESMTPSA' <<<"$received"; then
        pass "Received header shows authenticated TLS submission (ESMTPSA)"
    else
        fail "Received header shows authenticated TLS submission (ESMTPSA)" "$received"
    fi
else
    fail "message reached acme@buyer.test INBOX over IMAPS within ${DELIVERY_TIMEOUT}s" \
        "$(tail -n 15 "$DUNMAIL_SANDBOX_DIR/postfix/maillog" 2>/dev/null)"
fi

# --- on disk, in the documented Maildir layout ---------------------------------
if out=$(bash "$WAIT_FOR_MAIL" -m "$MID1" acme@buyer.test INBOX 1 5 2>&1); then
    pass "message is on disk in \$SANDBOX_MAILDIR_ROOT/buyer.test/acme/Maildir (wait-for-mail.sh)"
else
    fail "message is on disk in \$SANDBOX_MAILDIR_ROOT/buyer.test/acme/Maildir (wait-for-mail.sh)" "$out"
fi
if grep -rlqF "$MID1" "$SANDBOX_MAILDIR_ROOT/buyer.test/acme/Maildir/new" "$SANDBOX_MAILDIR_ROOT/buyer.test/acme/Maildir/cur" 2>/dev/null; then
    pass "Maildir file readable at the documented path"
else
    fail "Maildir file readable at the documented path"
fi

# --- SMTPS (implicit TLS) and plain local injection ---------------------------
MID2="<smtps-$UNIQ@vendor.test>"
make_msg "$WORK/m2.eml" ar@vendor.test globex@buyer.test "smtps $UNIQ" "$MID2"
mapfile -t rs < <(resolve "$SANDBOX_SMTPS_PORT")
check "SMTPS :$SANDBOX_SMTPS_PORT (implicit TLS) + AUTH accepts mail" \
    "${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" "smtps://$N:$SANDBOX_SMTPS_PORT" \
    --user "ar@vendor.test:$PASS" --mail-from ar@vendor.test --mail-rcpt globex@buyer.test \
    --upload-file "$WORK/m2.eml"
MID3="<inject-$UNIQ@buyer.test>"
make_msg "$WORK/m3.eml" initech@buyer.test ar@vendor.test "reply $UNIQ" "$MID3"
check "plain SMTP :$SANDBOX_SMTP_PORT injects without AUTH" \
    "${CURL[@]}" "smtp://$SANDBOX_HOST:$SANDBOX_SMTP_PORT" \
    --mail-from initech@buyer.test --mail-rcpt ar@vendor.test --upload-file "$WORK/m3.eml"
if wait_uid globex@buyer.test INBOX "HEADER Message-ID \"$MID2\"" >/dev/null; then
    pass "SMTPS message reached globex@buyer.test"
else
    fail "SMTPS message reached globex@buyer.test"
fi
if wait_uid ar@vendor.test INBOX "HEADER Message-ID \"$MID3\"" >/dev/null; then
    pass "injected message reached ar@vendor.test"
else
    fail "injected message reached ar@vendor.test"
fi

# --- IMAP with STARTTLS; LOGIN refused before STARTTLS on the strict host ------
mapfile -t rs < <(resolve "$SANDBOX_IMAP_PORT" "$SANDBOX_IMAP_STRICT_HOST")
if out=$("${CURL[@]}" --ssl-reqd --cacert "$SANDBOX_CA" "${rs[@]}" "imap://$N:$SANDBOX_IMAP_PORT/" \
    -u "ar@vendor.test:$PASS" -X 'LIST "" "*"' 2>&1); then
    pass "IMAP :$SANDBOX_IMAP_PORT STARTTLS + LOGIN works (verified cert)"
    if grep -q 'Sent' <<<"$out" && grep -q 'Drafts' <<<"$out" && grep -q 'Trash' <<<"$out" \
        && grep -q '"/"' <<<"$out"; then
        pass "Sent, Drafts, Trash exist; hierarchy separator is /"
    else
        fail "Sent, Drafts, Trash exist; hierarchy separator is /" "$out"
    fi
else
    fail "IMAP :$SANDBOX_IMAP_PORT STARTTLS + LOGIN works (verified cert)" "$out"
fi
plain=$(printf 'a LOGIN ar@vendor.test %s\r\nb LOGOUT\r\n' "$PASS" |
    timeout 10 bash -c "exec 3<>/dev/tcp/$SANDBOX_IMAP_STRICT_HOST/$SANDBOX_IMAP_PORT; cat >&3; cat <&3" 2>&1 | tr -d '\r')
if grep -q '^a NO' <<<"$plain" && grep -q 'LOGINDISABLED' <<<"$plain"; then
    pass "IMAP on $SANDBOX_IMAP_STRICT_HOST refuses LOGIN before STARTTLS"
else
    fail "IMAP on $SANDBOX_IMAP_STRICT_HOST refuses LOGIN before STARTTLS" "$plain"
fi

mapfile -t rs < <(resolve "$SANDBOX_IMAPS_PORT")
caps=$("${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" "imaps://$N:$SANDBOX_IMAPS_PORT/" \
    -u "ar@vendor.test:$PASS" -X CAPABILITY 2>&1)
missing=""
for cap in IDLE MOVE UIDPLUS SPECIAL-USE; do
    grep -qw -- "$cap" <<<"$caps" || missing="$missing $cap"
done
if [[ -z $missing ]]; then pass "IMAP has IDLE MOVE UIDPLUS SPECIAL-USE"; else fail "IMAP has IDLE MOVE UIDPLUS SPECIAL-USE" "missing:$missing $caps"; fi

FOLDER="Dunning-$UNIQ/Processed"
if "${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" "imaps://$N:$SANDBOX_IMAPS_PORT/" \
    -u "ar@vendor.test:$PASS" -X "CREATE \"$FOLDER\"" >"$WORK/out" 2>&1 &&
    [[ -d "$SANDBOX_MAILDIR_ROOT/vendor.test/ar/Maildir/.Dunning-$UNIQ.Processed/cur" ]]; then
    pass "CREATE \"$FOLDER\" makes Maildir/.Dunning-….Processed on disk"
else
    fail "CREATE \"Dunning-…/Processed\" makes Maildir/.Dunning-….Processed on disk" "$(cat "$WORK/out")"
fi

# --- TLS verification must fail on the wrong-host and unknown-CA ports --------
tls_bad() { # NAME PORT
    local name=$1 port=$2 rc out
    mapfile -t rs < <(resolve "$port")
    out=$("${CURL[@]}" --cacert "$SANDBOX_CA" "${rs[@]}" "imaps://$N:$port/" \
        -u "ar@vendor.test:$PASS" -X CAPABILITY 2>&1)
    rc=$?
    if [[ $rc -eq 60 ]]; then
        pass "IMAPS :$port ($name) fails certificate verification (curl exit 60)"
    else
        fail "IMAPS :$port ($name) fails certificate verification (curl exit 60), got exit $rc" "$out"
    fi
    # ... and it is the certificate, not a dead server: without verification it works.
    if out=$("${CURL[@]}" --insecure "${rs[@]}" "imaps://$N:$port/" -u "ar@vendor.test:$PASS" -X CAPABILITY 2>&1) &&
        grep -q IMAP4rev1 <<<"$out"; then
        pass "IMAPS :$port ($name) serves IMAP when verification is off"
    else
        fail "IMAPS :$port ($name) serves IMAP when verification is off" "$out"
    fi
}
tls_bad "wrong host name" "$SANDBOX_IMAPS_WRONGHOST_PORT"
tls_bad "unknown CA" "$SANDBOX_IMAPS_UNKNOWNCA_PORT"

# --- unknown recipient: accepted, then a DSN comes back to ar@vendor.test -------
MID4="<bounce-$UNIQ@vendor.test>"
make_msg "$WORK/m4.eml" ar@vendor.test nosuchuser@buyer.test "bounce me $UNIQ" "$MID4"
mapfile -t rs < <(resolve "$SANDBOX_SUBMISSION_PORT")
check "submission accepts mail for nosuchuser@buyer.test (no SMTP-time reject)" \
    "${CURL[@]}" --ssl-reqd --cacert "$SANDBOX_CA" "${rs[@]}" "smtp://$N:$SANDBOX_SUBMISSION_PORT" \
    --user "ar@vendor.test:$PASS" --mail-from ar@vendor.test --mail-rcpt nosuchuser@buyer.test \
    --upload-file "$WORK/m4.eml"
if uid=$(wait_uid ar@vendor.test INBOX "HEADER Content-Type \"multipart/report\" TEXT \"bounce-$UNIQ\""); then
    dsn=$(imap_fetch ar@vendor.test INBOX "$uid" 2>&1 | tr -d '\r')
    if grep -qi 'report-type=delivery-status' <<<"$dsn" && grep -qi 'nosuchuser@buyer.test' <<<"$dsn" \
        && grep -qi '^Action: failed' <<<"$dsn" && grep -qF "$MID4" <<<"$dsn"; then
        pass "bounce: DSN (multipart/report, Action: failed) for nosuchuser reached ar@vendor.test"
    else
        fail "bounce: DSN content" "$dsn"
    fi
else
    fail "bounce: DSN (multipart/report) reached ar@vendor.test within ${DELIVERY_TIMEOUT}s" \
        "$(tail -n 15 "$DUNMAIL_SANDBOX_DIR/postfix/maillog" 2>/dev/null)"
fi

# --- stop ------------------------------------------------------------------------
if [[ $started_here -eq 1 ]]; then
    started_here=0
    if out=$(bash "$SANDBOX" stop 2>&1) && ! bash "$SANDBOX" status >/dev/null 2>&1; then
        ports="$SANDBOX_IMAP_PORT|$SANDBOX_IMAPS_PORT|$SANDBOX_IMAPS_WRONGHOST_PORT|$SANDBOX_IMAPS_UNKNOWNCA_PORT|$SANDBOX_SUBMISSION_PORT|$SANDBOX_SMTPS_PORT|$SANDBOX_SMTP_PORT"
        left=$(ss -Hltn | awk '{print $4}' | grep -E ":($ports)$" || true)
        if [[ -z $left ]]; then pass "sandbox stops and frees its ports"; else fail "sandbox stops and frees its ports" "$left"; fi
    else
        fail "sandbox stops" "$out"
    fi
fi

finish

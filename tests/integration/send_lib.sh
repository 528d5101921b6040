# Shared by tests/integration/test_send_*.sh (sourced, not run): the
# sandbox, a store and config for it, Maildir inspection.
# shellcheck shell=bash

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${DUNMAIL_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
SANDBOX=$REPO/tests/sandbox/sandbox.sh
DUNMAIL=${DUNMAIL:-$REPO/build/dunmail}

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok   - %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$1"; [[ -z ${2:-} ]] || printf '%s\n' "$2" | sed 's/^/       /'; }
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
    exit
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-send-test.XXXXXX")
started_here=0
# shellcheck disable=SC2317  # called from the EXIT trap
send_cleanup() {
    [[ ${KEEP_WORK:-0} == 1 ]] && echo "# work dir kept: $WORK" || rm -rf "$WORK"
    if [[ $started_here -eq 1 && ${SANDBOX_KEEP:-0} != 1 ]]; then
        bash "$SANDBOX" stop >/dev/null 2>&1 || true
    fi
}
trap send_cleanup EXIT

for c in python3 sqlite3; do
    command -v "$c" >/dev/null 2>&1 || { fail "tool '$c' is installed"; finish; }
done
[[ -x $DUNMAIL ]] || { fail "dunmail binary at $DUNMAIL (set \$DUNMAIL)"; finish; }

# Start the sandbox, or reuse a running one with SANDBOX_REUSE=1. A fresh
# sandbox means empty Maildirs.
sandbox_up() {
    if [[ ${SANDBOX_REUSE:-0} == 1 ]] && bash "$SANDBOX" status >/dev/null 2>&1; then
        echo "# reusing the running sandbox (Maildirs are not emptied)"
    else
        local out
        started_here=1
        if ! out=$(bash "$SANDBOX" start 2>&1); then
            fail "sandbox starts" "$out"
            finish
        fi
    fi
    eval "$(bash "$SANDBOX" env)"
    export DUNMAIL_SMTP_PASSWORD=$SANDBOX_PASSWORD
    export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD
}

# make_config DIR: a store and config in DIR talking to the sandbox.
make_config() {
    mkdir -p "$1"
    bash "$REPO/tests/sandbox/dunmail-config.sh" "$1/dunmail.db" >"$1/dunmail.conf"
}

# Python helper over the debtors' Maildirs: prints one line per message
# file: "<mailbox> <Message-ID>".
maildir_ids() {
    python3 - "$SANDBOX_MAILDIR_ROOT" <<'PY'
import email, email.policy, os, sys
root = sys.argv[1]
dom = os.path.join(root, "buyer.test")
for user in sorted(os.listdir(dom)) if os.path.isdir(dom) else []:
    md = os.path.join(dom, user, "Maildir")
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), "rb") as fp:
                m = email.message_from_binary_file(fp, policy=email.policy.compat32)
            mid = (m.get("Message-ID") or "").strip().strip("<>")
            print(f"{user}@buyer.test {mid}")
PY
}

# Waits until Postfix's queue is empty (everything delivered or bounced).
wait_queue_empty() {
    local i
    for ((i = 0; i < ${1:-60}; i++)); do
        if postqueue -c "$SANDBOX_POSTFIX_CONFIG" -p 2>/dev/null | grep -q "Mail queue is empty"; then
            sleep 0.5
            return 0
        fi
        sleep 1
    done
    return 1
}

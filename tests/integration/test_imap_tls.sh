#!/usr/bin/env bash
# IMAP TLS verification through the real binary against the sandbox:
# the sandbox CA passes (IMAPS and STARTTLS), a certificate for the wrong
# host name and one from an unknown CA are refused before LOGIN with a
# message naming the host and the reason, a public-key pin is enforced,
# and cleartext to a non-loopback host is refused by the config.
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

if ! bash "$sandbox" status >/dev/null 2>&1; then
	bash "$sandbox" start >/dev/null 2>&1 || { fail "sandbox starts"; echo "$passed passed, $failed failed"; exit 1; }
	started=1
fi
eval "$(bash "$sandbox" env)"
export DUNMAIL_IMAP_PASSWORD=$SANDBOX_PASSWORD DUNMAIL_SMTP_PASSWORD=$SANDBOX_PASSWORD

# A mailbox of our own: polling the shared INBOX would file (move) other
# tests' mail while they run.
box="TLS-$(date +%s%N)"
command doveadm -c "$SANDBOX_DOVECOT_CONFIG" mailbox create -u ar@vendor.test "$box" || fail "create $box"

# conf NAME KEY=VALUE...: the sandbox config with [imap] keys replaced.
conf() {
	local name=$1; shift
	bash "$top/tests/sandbox/dunmail-config.sh" "$work/$name.db" |
		sed "s/^mailbox = INBOX/mailbox = $box/; s/^folder_root = Dunning/folder_root = $box-Filed/" > "$work/$name.conf"
	local kv k v
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		# only inside [imap]
		awk -v k="$k" -v v="$v" '
			/^\[/ { sect = $0 }
			sect == "[imap]" && $1 == k { print k " = " v; done = 1; next }
			{ print }
			END { }' "$work/$name.conf" > "$work/$name.tmp"
		if ! grep -q "^$k = " "$work/$name.tmp" || ! awk '/^\[imap\]/{s=1} s' "$work/$name.tmp" | grep -q "^$k = "; then
			sed -i "/^\[imap\]/a $k = $v" "$work/$name.tmp"
		fi
		mv "$work/$name.tmp" "$work/$name.conf"
	done
	"$dunmail" -c "$work/$name.conf" init >/dev/null 2>&1
}

logins() { # dovecot instance -> number of successful logins of ar so far
	grep -c "Login: user=<ar@vendor.test>" "$DUNMAIL_SANDBOX_DIR/dovecot/$1/dovecot.log" 2>/dev/null || true
}

# --- the sandbox CA passes --------------------------------------------------
conf good
if out=$("$dunmail" -c "$work/good.conf" poll 2>&1); then
	pass "IMAPS :$SANDBOX_IMAPS_PORT with the sandbox CA verifies and logs in"
else
	fail "IMAPS :$SANDBOX_IMAPS_PORT with the sandbox CA verifies and logs in" "$out"
fi
conf starttls host="$SANDBOX_IMAP_STRICT_HOST" port="$SANDBOX_IMAP_PORT" tls=starttls
if out=$("$dunmail" -c "$work/starttls.conf" -T imap poll 2>&1); then
	pass "STARTTLS on the strict host ($SANDBOX_IMAP_STRICT_HOST, LOGINDISABLED before TLS) verifies and logs in"
	# capabilities asked again after TLS, and LOGIN only after STARTTLS
	order=$(grep -oE 'C: [0-9]+ (STARTTLS|CAPABILITY)|C: <credentials redacted>' <<<"$out" | awk '{print $3}' | tr '\n' ' ')
	if [[ $order == "CAPABILITY STARTTLS CAPABILITY redacted>"* ]]; then
		pass "STARTTLS, then CAPABILITY again, then LOGIN (trace: $order)"
	else
		fail "STARTTLS, then CAPABILITY again, then LOGIN" "$order"
	fi
	if grep -q "$SANDBOX_PASSWORD" <<<"$out"; then fail "the trace never shows the password"; else pass "the trace never shows the password"; fi
else
	fail "STARTTLS on the strict host verifies and logs in" "$out"
fi

# --- refusals ----------------------------------------------------------------
refused() { # NAME PORT INSTANCE REASON-REGEX
	local name=$1 port=$2 inst=$3 reason=$4 before after rc=0 out
	conf "$name" port="$port"
	before=$(logins "$inst")
	out=$("$dunmail" -c "$work/$name.conf" poll 2>&1) || rc=$?
	after=$(logins "$inst")
	if [[ $rc == 76 ]]; then pass "$name: refused with exit 76 (EX_PROTOCOL)"; else fail "$name: refused with exit 76 (EX_PROTOCOL), got $rc" "$out"; fi
	if grep -qE "imap server $SANDBOX_HOST:$port: TLS certificate refused \(expected name $SANDBOX_TLS_NAME\): $reason" <<<"$out"; then
		pass "$name: the message names host, port, expected name and reason"
	else
		fail "$name: the message names host, port, expected name and reason" "$out"
	fi
	if [[ $before == "$after" ]]; then pass "$name: no LOGIN reached the server"; else fail "$name: no LOGIN reached the server ($before -> $after)"; fi
}
refused wrong-host "$SANDBOX_IMAPS_WRONGHOST_PORT" wronghost "certificate is for wrong.example, not localhost"
refused unknown-ca "$SANDBOX_IMAPS_UNKNOWNCA_PORT" unknownca "self-signed certificate"

# --- public-key pin ------------------------------------------------------------
pin=$(openssl x509 -in "$DUNMAIL_SANDBOX_DIR/tls/server.pem" -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
conf pinned pin_sha256="sha256//$pin"
if out=$("$dunmail" -c "$work/pinned.conf" poll 2>&1); then pass "the right pin passes"; else fail "the right pin passes" "$out"; fi
conf badpin pin_sha256="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
rc=0; out=$("$dunmail" -c "$work/badpin.conf" poll 2>&1) || rc=$?
if [[ $rc == 76 ]] && grep -q "public key pin mismatch: the server's key is sha256//$pin" <<<"$out"; then
	pass "a wrong pin is refused and the message shows the server's pin"
else
	fail "a wrong pin is refused and the message shows the server's pin (exit $rc)" "$out"
fi

# --- cleartext -----------------------------------------------------------------
conf clear host=192.0.2.1 port=143 tls=none allow_plaintext_loopback=yes
rc=0; out=$("$dunmail" -c "$work/clear.conf" poll 2>&1) || rc=$?
if [[ $rc == 78 ]] && grep -q "cleartext" <<<"$out"; then
	pass "tls = none to a non-loopback host is refused by the config (exit 78)"
else
	fail "tls = none to a non-loopback host is refused by the config" "exit $rc: $out"
fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]

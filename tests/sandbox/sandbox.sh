#!/usr/bin/env bash
# dunmail mail sandbox: a private Dovecot (IMAP, LMTP, SASL) and a private
# Postfix (submission, SMTPS, plain SMTP injection), loopback only, with a
# throwaway CA made on every start.
#
#   tests/sandbox/sandbox.sh start    # (re)create the state dir and start everything
#   tests/sandbox/sandbox.sh stop     # stop our own instances (never the system's)
#   tests/sandbox/sandbox.sh status   # what is running; exit 0 only if all of it is
#   tests/sandbox/sandbox.sh env      # `export` lines for eval
#
# Needs root and the Debian packages: dovecot-core dovecot-imapd dovecot-lmtpd
# postfix openssl (and curl for the integration test).
#
# Environment:
#   DUNMAIL_SANDBOX_DIR          state directory (default /tmp/dunmail-sandbox);
#                                wiped and recreated by every `start`
#   DUNMAIL_SANDBOX_PASSWORD     password of every user (default sandbox-pass)
#   DUNMAIL_SANDBOX_EXTRA_USERS  extra addresses (space separated) to create;
#                                their domains are added to the delivered domains
#   DUNMAIL_SANDBOX_START_TIMEOUT seconds `start` waits for the servers (default 30)
#
# Ports (all on 127.0.0.1 only, plus IMAP on 127.0.0.2):
#   10143 IMAP with STARTTLS. On 127.0.0.1 Dovecot ALLOWS LOGIN before
#         STARTTLS (it treats same-IP connections as secure, hard-coded);
#         on 127.0.0.2:10143 (SANDBOX_IMAP_STRICT_HOST) LOGIN/AUTHENTICATE
#         before STARTTLS is refused (LOGINDISABLED), as on a real server.
#   10993 IMAPS (implicit TLS), certificate for localhost, mail.vendor.test,
#         127.0.0.1, 127.0.0.2, signed by $DUNMAIL_SANDBOX_DIR/ca.pem
#   10994 IMAPS with a certificate from the same CA for the WRONG name (wrong.example)
#   10995 IMAPS with a self-signed certificate from an UNKNOWN CA (right names)
#   10587 SMTP submission, STARTTLS required, AUTH (PLAIN/LOGIN) only after STARTTLS
#   10465 SMTPS (implicit TLS) submission with AUTH
#   10025 plain SMTP, no AUTH, for local injection (STARTTLS offered, optional)
#   LMTP  unix socket $DUNMAIL_SANDBOX_DIR/dovecot/main/run/lmtp (no TCP port)
#
# Users (login name = full address, password DUNMAIL_SANDBOX_PASSWORD):
#   ar@vendor.test collections@vendor.test acme@buyer.test globex@buyer.test
#   initech@buyer.test umbrella@buyer.test huaxin@buyer.test longteng@buyer.test
#   jinfeng@buyer.test taipei@buyer.test
# Any address at vendor.test/buyer.test is accepted by SMTP; one that is not a
# user is rejected by LMTP, and Postfix returns a DSN (multipart/report) to the
# envelope sender. Other domains bounce at once (there is no network).
#
# Maildir layout on disk (SANDBOX_MAILDIR_ROOT=$DUNMAIL_SANDBOX_DIR/mail):
#   $SANDBOX_MAILDIR_ROOT/<domain>/<localpart>/            home of <localpart>@<domain>
#   $SANDBOX_MAILDIR_ROOT/<domain>/<localpart>/Maildir/{new,cur,tmp}   INBOX
#   $SANDBOX_MAILDIR_ROOT/<domain>/<localpart>/Maildir/.<Folder>/{new,cur,tmp}
#       other folders, Maildir++ style: IMAP hierarchy separator is "/",
#       so IMAP "AR/Processed" is stored as ".AR.Processed"
#   Sent, Drafts and Trash are created (and subscribed) on first login.
#   Files are owned by the dunmail-vmail user (mode 0600); read them as root.

set -euo pipefail

SANDBOX_DIR=${DUNMAIL_SANDBOX_DIR:-/tmp/dunmail-sandbox}
PASSWORD=${DUNMAIL_SANDBOX_PASSWORD:-sandbox-pass}
EXTRA_USERS=${DUNMAIL_SANDBOX_EXTRA_USERS:-}
START_TIMEOUT=${DUNMAIL_SANDBOX_START_TIMEOUT:-30}

HOST=127.0.0.1
# Dovecot always counts a connection whose remote IP equals its local IP as
# secure (hard-coded, no setting), so on 127.0.0.1 it allows LOGIN before
# STARTTLS. The same IMAP port on 127.0.0.2 is reached from source 127.0.0.1,
# so there LOGIN/AUTHENTICATE before STARTTLS is refused, as on a real server.
STRICT_HOST=127.0.0.2
TLS_NAME=localhost
IMAP_PORT=10143
IMAPS_PORT=10993
IMAPS_WRONGHOST_PORT=10994
IMAPS_UNKNOWNCA_PORT=10995
SUBMISSION_PORT=10587
SMTPS_PORT=10465
SMTP_PORT=10025
ALL_PORTS="$IMAP_PORT $IMAPS_PORT $IMAPS_WRONGHOST_PORT $IMAPS_UNKNOWNCA_PORT $SUBMISSION_PORT $SMTPS_PORT $SMTP_PORT"

BASE_USERS="ar@vendor.test collections@vendor.test acme@buyer.test globex@buyer.test initech@buyer.test umbrella@buyer.test huaxin@buyer.test longteng@buyer.test jinfeng@buyer.test taipei@buyer.test"
BASE_DOMAINS="vendor.test buyer.test"

VMAIL_USER=dunmail-vmail
MARKER=.dunmail-sandbox
DOVECOT_INSTANCES="main wronghost unknownca"

# Make the state dir absolute without requiring it to exist.
case $SANDBOX_DIR in
    /*) ;;
    *) SANDBOX_DIR=$PWD/$SANDBOX_DIR ;;
esac
SANDBOX_DIR=${SANDBOX_DIR%/}
[[ -n $SANDBOX_DIR ]] || SANDBOX_DIR=/

TLS_DIR=$SANDBOX_DIR/tls
MAIL_ROOT=$SANDBOX_DIR/mail
USERS_FILE=$SANDBOX_DIR/users
PF_DIR=$SANDBOX_DIR/postfix
PF_CONF=$PF_DIR/etc
PF_QUEUE=$PF_DIR/spool
PF_DATA=$PF_DIR/data
PF_LOG=$PF_DIR/maillog
DV_ROOT=$SANDBOX_DIR/dovecot

log() { printf 'sandbox: %s\n' "$*" >&2; }
die() { printf 'sandbox: ERROR: %s\n' "$*" >&2; exit 1; }

dv_dir()  { printf '%s/%s' "$DV_ROOT" "$1"; }
dv_conf() { printf '%s/%s/dovecot.conf' "$DV_ROOT" "$1"; }
dv_pidfile() { printf '%s/%s/run/master.pid' "$DV_ROOT" "$1"; }
dv_log()  { printf '%s/%s/dovecot.log' "$DV_ROOT" "$1"; }
pf_pidfile() { printf '%s/pid/master.pid' "$PF_QUEUE"; }

# pid from a pid file if that process is alive, else nothing (status 1).
live_pid() {
    local f=$1 pid
    [[ -r $f ]] || return 1
    pid=$(tr -dc '0-9' <"$f" 2>/dev/null || true)
    [[ -n $pid ]] || return 1
    pid_alive "$pid" || return 1
    printf '%s' "$pid"
}

# A process that exited but is not reaped yet (a zombie: PID 1 here may be
# slow to reap orphans) counts as gone.
pid_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
    [[ -n $state && $state != Z && $state != X ]]
}

print_env() {
    cat <<EOF
export DUNMAIL_SANDBOX_DIR='$SANDBOX_DIR'
export SANDBOX_CA='$SANDBOX_DIR/ca.pem'
export SANDBOX_HOST=$HOST
export SANDBOX_IMAP_STRICT_HOST=$STRICT_HOST
export SANDBOX_TLS_NAME=$TLS_NAME
export SANDBOX_IMAP_PORT=$IMAP_PORT
export SANDBOX_IMAPS_PORT=$IMAPS_PORT
export SANDBOX_IMAPS_WRONGHOST_PORT=$IMAPS_WRONGHOST_PORT
export SANDBOX_IMAPS_UNKNOWNCA_PORT=$IMAPS_UNKNOWNCA_PORT
export SANDBOX_SUBMISSION_PORT=$SUBMISSION_PORT
export SANDBOX_SMTPS_PORT=$SMTPS_PORT
export SANDBOX_SMTP_PORT=$SMTP_PORT
export SANDBOX_PASSWORD='$PASSWORD'
export SANDBOX_MAILDIR_ROOT='$MAIL_ROOT'
export SANDBOX_USERS='$(all_users)'
export SANDBOX_LMTP_SOCKET='$(dv_dir main)/run/lmtp'
export SANDBOX_POSTFIX_CONFIG='$PF_CONF'
export SANDBOX_DOVECOT_CONFIG='$(dv_conf main)'
EOF
}

all_users() {
    local u out=""
    for u in $BASE_USERS $EXTRA_USERS; do
        u=${u,,}
        case " $out " in *" $u "*) continue ;; esac
        out="${out:+$out }$u"
    done
    printf '%s' "$out"
}

all_domains() {
    local u d out="$BASE_DOMAINS"
    for u in $(all_users); do
        d=${u#*@}
        case " $out " in *" $d "*) ;; *) out="$out $d" ;; esac
    done
    printf '%s' "$out"
}

check_prereqs() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (private Postfix and Dovecot need it)"
    local missing="" c
    for c in dovecot postfix postconf openssl ss; do
        command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [[ -z $missing ]] || die "missing commands:$missing -- install: apt-get install -y dovecot-core dovecot-imapd dovecot-lmtpd postfix openssl iproute2"
    [[ -x /usr/lib/dovecot/imap && -x /usr/lib/dovecot/lmtp ]] \
        || die "dovecot-imapd / dovecot-lmtpd not installed -- apt-get install -y dovecot-imapd dovecot-lmtpd"
    id postfix >/dev/null 2>&1 || die "no 'postfix' user: is the postfix package installed?"
    getent group postdrop >/dev/null || die "no 'postdrop' group: is the postfix package installed?"
    id dovenull >/dev/null 2>&1 || die "no 'dovenull' user: is dovecot-core installed?"
    id dovecot >/dev/null 2>&1 || die "no 'dovecot' user: is dovecot-core installed?"
}

validate_inputs() {
    [[ $SANDBOX_DIR != / && $SANDBOX_DIR != /tmp && $SANDBOX_DIR != "$HOME" ]] \
        || die "refusing to use '$SANDBOX_DIR' as DUNMAIL_SANDBOX_DIR"
    [[ $PASSWORD =~ ^[^:[:space:]]+$ ]] || die "DUNMAIL_SANDBOX_PASSWORD must be non-empty, without ':' or whitespace"
    local u
    for u in $EXTRA_USERS; do
        [[ $u =~ ^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$ ]] \
            || die "bad address in DUNMAIL_SANDBOX_EXTRA_USERS: '$u'"
    done
    # unix socket paths must fit in sun_path (108 bytes)
    (( ${#SANDBOX_DIR} < 60 )) || die "DUNMAIL_SANDBOX_DIR is too long for unix socket paths: $SANDBOX_DIR"
}

# The state dir is wiped on start: only do that to a dir that is ours.
wipe_state_dir() {
    if [[ -e $SANDBOX_DIR ]]; then
        [[ -d $SANDBOX_DIR ]] || die "$SANDBOX_DIR exists and is not a directory"
        if [[ ! -e $SANDBOX_DIR/$MARKER ]] && [[ -n $(ls -A "$SANDBOX_DIR") ]]; then
            die "$SANDBOX_DIR is not empty and not a sandbox state dir (no $MARKER); refusing to wipe it"
        fi
        rm -rf "$SANDBOX_DIR"
    fi
    mkdir -p "$SANDBOX_DIR"
    chmod 0755 "$SANDBOX_DIR"
    : >"$SANDBOX_DIR/$MARKER"
}

ensure_vmail_user() {
    if ! id "$VMAIL_USER" >/dev/null 2>&1; then
        if command -v useradd >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin --comment "dunmail mail sandbox" "$VMAIL_USER" \
                || die "could not create user $VMAIL_USER"
        else
            die "user $VMAIL_USER missing and no useradd to create it"
        fi
    fi
    VMAIL_UID=$(id -u "$VMAIL_USER")
    VMAIL_GID=$(id -g "$VMAIL_USER")
}

ports_busy() {
    local p busy=""
    for p in $ALL_PORTS; do
        if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
            busy="$busy $p"
        fi
    done
    printf '%s' "$busy"
}

make_certs() {
    mkdir -p "$TLS_DIR"
    chmod 0755 "$TLS_DIR"
    local d=$TLS_DIR ossl="openssl"
    # CA
    $ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj "/O=dunmail sandbox/CN=dunmail sandbox CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null \
        || die "openssl: cannot make the CA"
    cp "$d/ca.pem" "$SANDBOX_DIR/ca.pem"

    # leaf certificate signed by the CA: make_leaf NAME CN SAN
    make_leaf() {
        local name=$1 cn=$2 san=$3
        $ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/O=dunmail sandbox/CN=$cn" 2>/dev/null \
            || die "openssl: cannot make the $name key"
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectKeyIdentifier=hash" \
            "authorityKeyIdentifier=keyid" \
            "subjectAltName=$san" >"$d/$name.ext"
        $ossl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -days 30 -sha256 -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null \
            || die "openssl: cannot sign the $name certificate"
        rm -f "$d/$name.csr" "$d/$name.ext"
    }
    make_leaf server localhost "DNS:localhost,DNS:mail.vendor.test,IP:$HOST,IP:$STRICT_HOST"
    make_leaf wronghost wrong.example "DNS:wrong.example"

    # self-signed certificate for the right names, from a CA nobody trusts
    $ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/unknownca.key" -out "$d/unknownca.pem" -days 30 -subj "/O=unknown CA/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,DNS:mail.vendor.test,IP:$HOST,IP:$STRICT_HOST" 2>/dev/null \
        || die "openssl: cannot make the unknown-CA certificate"
    rm -f "$d/ca.srl"
    chmod 0644 "$d"/*.pem
    chmod 0600 "$d"/*.key
}

make_users() {
    local u local_part domain home
    mkdir -p "$MAIL_ROOT"
    chmod 0755 "$MAIL_ROOT"
    : >"$USERS_FILE"
    for u in $(all_users); do
        local_part=${u%@*}
        domain=${u#*@}
        home=$MAIL_ROOT/$domain/$local_part
        printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$u" "$PASSWORD" "$VMAIL_UID" "$VMAIL_GID" "$home" >>"$USERS_FILE"
        if [[ ! -d $MAIL_ROOT/$domain ]]; then
            mkdir -p "$MAIL_ROOT/$domain"
            chown "$VMAIL_UID:$VMAIL_GID" "$MAIL_ROOT/$domain"
            chmod 0755 "$MAIL_ROOT/$domain"
        fi
        mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
        chown -R "$VMAIL_UID:$VMAIL_GID" "$home"
        chmod 0700 "$home" "$home/Maildir" "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
    done
    chown root:dovecot "$USERS_FILE"
    chmod 0640 "$USERS_FILE"
}

# write_dovecot_conf INSTANCE
write_dovecot_conf() {
    local inst=$1 dir cert key ssl_dh=""
    dir=$(dv_dir "$inst")
    mkdir -p "$dir"
    case $inst in
        main)      cert=server ;;
        wronghost) cert=wronghost ;;
        unknownca) cert=unknownca ;;
    esac
    key=$TLS_DIR/$cert.key
    cert=$TLS_DIR/$cert.pem
    [[ -r /usr/share/dovecot/dh.pem ]] && ssl_dh="ssl_dh = </usr/share/dovecot/dh.pem"

    {
        cat <<EOF
# generated by tests/sandbox/sandbox.sh -- private dunmail sandbox instance '$inst'
instance_name = dunmail-sandbox-$inst
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
debug_log_path = $dir/dovecot.log
listen = $HOST, $STRICT_HOST
shutdown_clients = yes

ssl = yes
ssl_cert = <$cert
ssl_key = <$key
$ssl_dh
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
# No network is trusted. Note: Dovecot still counts a connection whose
# remote IP equals its local IP as secure (see STRICT_HOST in sandbox.sh).
login_trusted_networks =
auth_mechanisms = plain login
auth_username_format = %Lu
auth_failure_delay = 0

default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $VMAIL_UID
last_valid_uid = $VMAIL_UID
first_valid_gid = $VMAIL_GID
last_valid_gid = $VMAIL_GID

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $USERS_FILE
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $USERS_FILE
}

mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
mail_max_userip_connections = 200
imap_idle_notify_interval = 2 mins

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}

default_process_limit = 200
default_client_limit = 2000
EOF
        if [[ $inst == main ]]; then
            cat <<EOF
protocols = imap lmtp

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imap_strict {
    address = $STRICT_HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $IMAPS_PORT
    ssl = yes
  }
}

service lmtp {
  unix_listener lmtp {
    mode = 0660
    user = postfix
    group = postfix
  }
}

service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}

protocol lmtp {
  postmaster_address = postmaster@vendor.test
}
EOF
        else
            local port=$IMAPS_WRONGHOST_PORT
            [[ $inst == unknownca ]] && port=$IMAPS_UNKNOWNCA_PORT
            cat <<EOF
protocols = imap

service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = $HOST
    port = $port
    ssl = yes
  }
}
EOF
        fi
    } >"$(dv_conf "$inst")"
}

# Runs a daemon with no descriptor above 2 inherited: a caller's
# `flock LOCK tests/...` lock (or any pipe) must not live on in the
# servers, or the lock would be held until the sandbox stops.
without_inherited_fds() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
        done
        exec "$@"
    )
}

start_dovecot() {
    local inst conf
    for inst in $DOVECOT_INSTANCES; do
        write_dovecot_conf "$inst"
        conf=$(dv_conf "$inst")
        if ! without_inherited_fds dovecot -c "$conf" >"$(dv_dir "$inst")/start.out" 2>&1; then
            cat "$(dv_dir "$inst")/start.out" >&2 || true
            tail_logs
            die "dovecot instance '$inst' failed to start"
        fi
    done
}

write_postfix_conf() {
    mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"
    chmod 0755 "$PF_DIR" "$PF_CONF" "$PF_QUEUE"
    chown postfix:postfix "$PF_DATA"
    chmod 0700 "$PF_DATA"
    : >"$PF_LOG"
    chmod 0644 "$PF_LOG"
    local lmtp_sock auth_sock
    lmtp_sock=$(dv_dir main)/run/lmtp
    auth_sock=$(dv_dir main)/run/auth-postfix

    cat >"$PF_CONF/main.cf" <<EOF
# generated by tests/sandbox/sandbox.sh -- private dunmail sandbox instance
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-dunmail-sandbox
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_DIR

myhostname = mail.vendor.test
mydomain = vendor.test
myorigin = vendor.test
mydestination =
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
smtpd_banner = \$myhostname ESMTP dunmail-sandbox

# Every address at these domains is accepted at SMTP time and handed to
# Dovecot over LMTP; LMTP rejects unknown users, so Postfix bounces a DSN to
# the envelope sender (no SMTP-time reject).
virtual_mailbox_domains = $(all_domains)
virtual_mailbox_maps =
virtual_transport = lmtp:unix:$lmtp_sock
smtpd_reject_unlisted_recipient = no
# No network here: anything for another domain bounces at once.
default_transport = error:5.7.1 the dunmail sandbox delivers only to its own domains
relay_transport = \$default_transport

smtp_dns_support_level = disabled
lmtp_host_lookup = native
smtpd_peername_lookup = no

smtpd_tls_cert_file = $TLS_DIR/server.pem
smtpd_tls_key_file = $TLS_DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
smtp_tls_session_cache_database =

smtpd_sasl_type = dovecot
smtpd_sasl_path = $auth_sock
smtpd_sasl_auth_enable = no
smtpd_sasl_authenticated_header = yes
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination

# fast, for tests
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 0
lmtp_connect_timeout = 5s
lmtp_data_done_timeout = 60s
default_process_limit = 100
EOF

    local restrict="-o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes"
    cat >"$PF_CONF/master.cf" <<EOF
# generated by tests/sandbox/sandbox.sh -- nothing chrooted, loopback only
# service       type  private unpriv  chroot  wakeup  maxproc command
$HOST:$SMTP_PORT inet n       -       n       -       -       smtpd
  -o syslog_name=postfix-dunmail-sandbox/smtp
$HOST:$SUBMISSION_PORT inet n      -       n       -       -       smtpd
  -o syslog_name=postfix-dunmail-sandbox/submission
  -o smtpd_tls_security_level=encrypt
  $restrict
$HOST:$SMTPS_PORT inet n       -       n       -       -       smtpd
  -o syslog_name=postfix-dunmail-sandbox/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  $restrict
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    chmod 0644 "$PF_CONF/main.cf" "$PF_CONF/master.cf"
}

# The queue directories as /etc/postfix/postfix-files makes them. Making them
# here and starting with a "quick-start" file skips `postfix check`, which
# takes seconds (post-install create-missing, find over the tree); nothing
# in a brand-new queue needs those checks.
make_postfix_queue() {
    local q
    install -d -o root -g root -m 0755 "$PF_QUEUE" "$PF_QUEUE/pid"
    for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        install -d -o postfix -g root -m 0700 "$PF_QUEUE/$q"
    done
    install -d -o postfix -g postdrop -m 0730 "$PF_QUEUE/maildrop"
    install -d -o postfix -g postdrop -m 0710 "$PF_QUEUE/public"
    : >"$PF_QUEUE/quick-start"
}

# `postfix -c DIR` only accepts DIR if the default main.cf lists it.
register_postfix_config_dir() {
    local cur
    if [[ ! -e /etc/postfix/main.cf ]]; then
        # postfix installed with "No configuration": give postconf a file to edit
        log "no /etc/postfix/main.cf; creating one that only lists the sandbox config dir"
        printf '%s\n' "# created by dunmail tests/sandbox/sandbox.sh" "compatibility_level = 3.6" >/etc/postfix/main.cf
    fi
    cur=$(postconf -h alternate_config_directories 2>/dev/null || true)
    case " ${cur//,/ } " in
        *" $PF_CONF "*) return 0 ;;
    esac
    postconf -e "alternate_config_directories = ${cur:+$cur, }$PF_CONF" \
        || die "cannot add $PF_CONF to alternate_config_directories in the default Postfix main.cf"
}

start_postfix() {
    write_postfix_conf
    register_postfix_config_dir
    make_postfix_queue
    if ! without_inherited_fds postfix -c "$PF_CONF" start >"$PF_DIR/start.out" 2>&1; then
        cat "$PF_DIR/start.out" >&2 || true
        tail_logs
        die "postfix failed to start"
    fi
}

tail_logs() {
    local inst f
    for inst in $DOVECOT_INSTANCES; do
        f=$(dv_log "$inst")
        if [[ -s $f ]]; then
            printf -- '--- tail of %s ---\n' "$f" >&2
            tail -n 20 "$f" >&2 || true
        fi
    done
    if [[ -s $PF_LOG ]]; then
        printf -- '--- tail of %s ---\n' "$PF_LOG" >&2
        tail -n 30 "$PF_LOG" >&2 || true
    fi
}

# banner_ok HOST PORT PREFIX: connect, read the greeting, compare. Dovecot
# may first send "* OK Waiting for authentication process to respond.."; the
# real greeting follows once its auth process is up.
banner_ok() {
    local host=$1 port=$2 prefix=$3 line="" fd i ok=1
    exec {fd}<>"/dev/tcp/$host/$port" || return 1
    for i in 1 2; do
        IFS= read -r -t 5 line <&"$fd" || break
        [[ $line == *"Waiting for authentication"* ]] && continue
        [[ $line == "$prefix"* ]] && ok=0
        break
    done
    exec {fd}>&-
    return $ok
}

port_listening() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q "$HOST:$1"
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) p pending
    while :; do
        pending=""
        banner_ok "$HOST" "$IMAP_PORT" "* OK [CAPABILITY" 2>/dev/null || pending="$pending imap:$IMAP_PORT"
        banner_ok "$STRICT_HOST" "$IMAP_PORT" "* OK [CAPABILITY" 2>/dev/null || pending="$pending imap:$STRICT_HOST:$IMAP_PORT"
        banner_ok "$HOST" "$SUBMISSION_PORT" "220 " 2>/dev/null || pending="$pending submission:$SUBMISSION_PORT"
        banner_ok "$HOST" "$SMTP_PORT" "220 " 2>/dev/null || pending="$pending smtp:$SMTP_PORT"
        for p in $IMAPS_PORT $IMAPS_WRONGHOST_PORT $IMAPS_UNKNOWNCA_PORT $SMTPS_PORT; do
            port_listening "$p" || pending="$pending $p"
        done
        [[ -S $(dv_dir main)/run/lmtp ]] || pending="$pending lmtp-socket"
        [[ -S $(dv_dir main)/run/auth-postfix ]] || pending="$pending auth-socket"
        [[ -z $pending ]] && return 0
        if (( SECONDS >= deadline )); then
            tail_logs
            die "timed out after ${START_TIMEOUT}s waiting for:$pending"
        fi
        sleep 0.2
    done
}

# wait_gone NAME PID: wait for a master that was asked to stop; kill it if needed.
wait_gone() {
    local name=$1 pid=$2 i
    for ((i = 0; i < 100; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    log "$name (pid $pid) did not stop in 10s; killing it and its children"
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# Stop only the instances whose pid files are in our state dir: SIGTERM to
# each master (what `postfix stop` and `dovecot stop` send), all at once,
# then wait for all of them.
do_stop() {
    local inst pid rc=0 names=() pids=() k
    if pid=$(live_pid "$(pf_pidfile)"); then
        kill -TERM "$pid" 2>/dev/null || true
        names+=(postfix) pids+=("$pid")
    fi
    for inst in $DOVECOT_INSTANCES; do
        if pid=$(live_pid "$(dv_pidfile "$inst")"); then
            kill -TERM "$pid" 2>/dev/null || true
            names+=("dovecot-$inst") pids+=("$pid")
        fi
    done
    for k in "${!pids[@]}"; do
        wait_gone "${names[$k]}" "${pids[$k]}" || rc=1
    done
    return $rc
}

do_status() {
    local inst pid all=0
    if [[ ! -e $SANDBOX_DIR/$MARKER ]]; then
        echo "sandbox: not started (no state dir $SANDBOX_DIR)"
        return 3
    fi
    for inst in $DOVECOT_INSTANCES; do
        if pid=$(live_pid "$(dv_pidfile "$inst")"); then
            echo "dovecot-$inst: running (pid $pid)"
        else
            echo "dovecot-$inst: stopped"
            all=3
        fi
    done
    if pid=$(live_pid "$(pf_pidfile)"); then
        echo "postfix: running (pid $pid)"
    else
        echo "postfix: stopped"
        all=3
    fi
    echo "state dir: $SANDBOX_DIR"
    if [[ $all -eq 0 ]]; then
        echo "listening:"
        ss -Hltn 2>/dev/null | awk '{print $4}' | grep -E ":($(echo "$ALL_PORTS" | tr ' ' '|'))$" | sed 's/^/  /' || true
    fi
    return $all
}

do_start() {
    check_prereqs
    validate_inputs
    local t0=$SECONDS
    if [[ -e $SANDBOX_DIR/$MARKER ]]; then
        do_stop || die "could not stop the running sandbox in $SANDBOX_DIR"
    fi
    local busy i
    for ((i = 0; i < 30; i++)); do
        busy=$(ports_busy)
        [[ -z $busy ]] && break
        sleep 0.1
    done
    if [[ -n $busy ]]; then
        ss -ltnp 2>/dev/null | grep -E ":($(echo "$busy" | sed 's/^ //; s/ /|/g'))\b" >&2 || true
        die "ports already in use:$busy (another sandbox with a different DUNMAIL_SANDBOX_DIR?)"
    fi
    wipe_state_dir
    # If anything below fails, stop what was started (logs stay for a look).
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "start failed; stopping what was started"; do_stop || true; fi' EXIT
    ensure_vmail_user
    make_certs
    make_users
    start_dovecot
    start_postfix
    print_env >"$SANDBOX_DIR/env"
    wait_ready
    trap - EXIT
    log "started in $((SECONDS - t0))s; state dir $SANDBOX_DIR (eval \"\$($0 env)\" for settings)"
}

cmd=${1:-}
case $cmd in
    start) do_start ;;
    stop)
        [[ $(id -u) -eq 0 ]] || die "must run as root"
        if [[ -e $SANDBOX_DIR/$MARKER ]]; then
            do_stop || die "some sandbox processes could not be stopped"
        fi
        ;;
    restart) do_start ;;
    status) do_status ;;
    env)
        # The file written by `start` has the settings it ran with
        # (e.g. DUNMAIL_SANDBOX_EXTRA_USERS); without it, compute them.
        if [[ -r $SANDBOX_DIR/env ]]; then cat "$SANDBOX_DIR/env"; else print_env; fi
        ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac

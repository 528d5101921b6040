#!/usr/bin/env bash
# The .deb: builds it with cpack from a configured and built tree, checks
# its control fields and contents, installs it into a throwaway root,
# runs the installed binary there (it must find the installed templates
# and rules), checks the installed units, then purges it and checks that
# nothing of it is left. The host is not changed: dpkg works on the
# throwaway root (--root, its own admin dir and log), the maintainer
# scripts run with DPKG_ROOT set and touch only that root, and dependency
# checks are forced off there since the root holds no libraries.
#
#   bash tests/deb.sh BUILD_DIR        (root; KEEP=1 keeps the work dir)
#
# Exits 0 on success, 1 with a message on failure, 77 if a tool it needs
# cannot run here (no dpkg-dev, not root).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

fail() { echo "deb.sh: FAIL: $*" >&2; exit 1; }
skip() { echo "deb.sh: SKIP: $*" >&2; exit 77; }
step() { echo "==> deb: $*"; }

[ $# -eq 1 ] || { echo "usage: tests/deb.sh BUILD_DIR" >&2; exit 64; }
build=$(cd "$1" 2>/dev/null && pwd) || fail "no build directory $1"
[ -f "$build/CPackConfig.cmake" ] ||
	fail "$build has no CPackConfig.cmake: configure it with cmake first"
[ -x "$build/dunmail" ] || fail "$build/dunmail is not built"

[ "$(id -u)" -eq 0 ] || skip "dpkg --root needs root"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "$tool is missing (contrib/install-deps installs it)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dunmail-deb.XXXXXX")
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "deb.sh: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [ "$prefix" != /usr ]; then
	echo "deb.sh: note: $build is configured for $prefix; the package installs"
	echo "deb.sh: note: under /usr and its binary finds its data beside itself,"
	echo "deb.sh: note: but its compiled-in fallback is $prefix/share/dunmail."
	echo "deb.sh: note: For a release: cmake -DCMAKE_INSTALL_PREFIX=/usr."
fi

step "cpack -G DEB"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" \
    >"$work/cpack.log" 2>&1; then
	cat "$work/cpack.log" >&2
	fail "cpack -G DEB failed"
fi
debs=("$work"/pkg/dunmail_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] ||
	fail "cpack made no single dunmail_*.deb in $work/pkg: ${debs[*]}"
deb=${debs[0]}
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"

step "control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = dunmail ] || fail "Package is '$(field Package)', not dunmail"
[ "$(field Section)" = mail ] || fail "Section is '$(field Section)', not mail"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
for lib in libc6 libpcre2-8-0 libsqlite3-0 libssl3 libetpan20 tzdata; do
	grep -q "\\b$lib\\b" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
echo "Version: $(field Version)  Architecture: $(field Architecture)"
echo "Depends: $depends"

step "contents (dpkg-deb -c)"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' |
	grep -v '^$' >"$work/contents"
[ -s "$work/contents" ] || fail "dpkg-deb -c lists nothing"
for path in /usr/bin/dunmail \
    /usr/share/man/man1/dunmail.1 /usr/share/man/man5/dunmail.conf.5 \
    /usr/lib/systemd/system/dunmail.service \
    /usr/lib/systemd/system/dunmail-send.service \
    /usr/lib/systemd/system/dunmail-send.timer \
    /usr/lib/sysusers.d/dunmail.conf \
    /usr/share/doc/dunmail/examples/dunmail.conf.example; do
	grep -qx "$path" "$work/contents" || fail "the package lacks $path"
done
# Every shipped template and rules file, as in the source tree.
n=0
while IFS= read -r f; do
	grep -qx "/usr/share/dunmail/templates/$f" "$work/contents" ||
		fail "the package lacks /usr/share/dunmail/templates/$f"
	n=$((n + 1))
done < <(cd "$top/templates" && find . -type f | sed 's|^\./||' | sort)
grep -q '^/usr/share/dunmail/templates/rules/en.rules$' "$work/contents" ||
	fail "the package lacks the rules"
outside=$(grep -v -e '^/usr$' -e '^/usr/' "$work/contents" || true)
[ -z "$outside" ] || fail "files outside /usr: $outside"
if grep -q '^/usr/local' "$work/contents"; then
	fail "files under /usr/local: $(grep '^/usr/local' "$work/contents" | head -3)"
fi
echo "$(wc -l <"$work/contents") entries, $n templates and rules files, all under /usr"

step "install into a throwaway root"
root=$work/root
mkdir -p "$root/etc" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info" \
	"$root/var/log"
: >"$root/var/lib/dpkg/status"
dpkg_root() {
	dpkg --root="$root" --log="$root/var/log/dpkg.log" \
		--force-script-chrootless "$@"
}
if ! dpkg_root --force-depends -i "$deb" >"$work/install.log" 2>&1; then
	cat "$work/install.log" >&2
	fail "dpkg -i into $root failed"
fi
grep -v -e 'depends on' -e 'is not installed' -e 'dependency problems' -e '^$' \
	"$work/install.log"
status=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${db:Status-Abbrev}' dunmail)
[ "${status% }" = ii ] || fail "dunmail is '$status' in $root, not installed (ii)"
if command -v systemd-sysusers >/dev/null 2>&1; then
	grep -q '^dunmail:' "$root/etc/passwd" 2>/dev/null ||
		fail "postinst made no dunmail user in $root/etc/passwd"
	echo "postinst: $(grep '^dunmail:' "$root/etc/passwd")"
fi

step "run the installed binary"
bin=$root/usr/bin/dunmail
version=$("$bin" --version) || fail "$bin --version failed"
[ "$version" = "dunmail $(field Version)" ] ||
	fail "$bin --version says '$version', the package is $(field Version)"
echo "$version"
home=$work/home
mkdir -p "$home"
# No config, source tree or home of the caller's: what it finds is its own.
run() {
	(cd "$home" && env -u DUNMAIL_SOURCE_DIR -u DUNMAIL_NOW HOME="$home" \
		XDG_CONFIG_HOME="$home/.config" "$bin" "$@")
}
run init --store "$home/dunmail.db" >"$work/init.log" 2>&1 ||
	{ cat "$work/init.log" >&2; fail "dunmail init failed"; }
want=$(realpath "$root/usr/share/dunmail/templates")
got=$(sed -n 's/^dir *= *//p' "$home/dunmail.conf")
[ "$got" = "$want" ] ||
	fail "init's starter config names templates '$got', not the installed $want"
echo "init: templates dir = $got"
run lint || fail "dunmail lint of the installed templates and rules failed"
classify_check() {
	local file=$1 class=$2 out
	out=$(run classify --json "$top/tests/data/replies/$file") ||
		fail "dunmail classify $file failed: $out"
	grep -q "\"class\":\"$class\"" <<<"$out" ||
		fail "dunmail classify $file: want $class, got $out"
	echo "classify $file: $class ($(sed 's/.*"rule":"\([^"]*\)".*/\1/' <<<"$out"))"
}
# With the starter config (its templates/rules), then with none at all
# (the rules beside the binary).
classify_check en-dispute-001.eml dispute
classify_check zh-promise-001.eml promise_to_pay
rm -f "$home/dunmail.conf"
classify_check en-dispute-001.eml dispute
classify_check zh-promise-001.eml promise_to_pay

step "the installed units"
units=$root/usr/lib/systemd/system
if grep -n '/usr/local' "$units"/dunmail* \
    "$root/usr/share/doc/dunmail/examples/dunmail.conf.example"; then
	fail "an installed unit or the example config names /usr/local"
fi
grep -q '^ExecStart=/usr/bin/dunmail run$' "$units/dunmail.service" ||
	fail "dunmail.service does not run /usr/bin/dunmail run"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the commands to exist: point copies at the installed binary.
	mkdir -p "$work/units"
	for u in dunmail.service dunmail-send.service dunmail-send.timer; do
		sed "s|/usr/bin/dunmail|$bin|g" "$units/$u" >"$work/units/$u"
	done
	if ! (cd "$work/units" && MANPATH=$root/usr/share/man systemd-analyze verify \
	    dunmail.service dunmail-send.service dunmail-send.timer); then
		fail "systemd-analyze verify found problems in the units"
	fi
	echo "systemd-analyze verify: ok"
	if systemd-analyze security --offline=yes --threshold=20 \
	    "$units/dunmail.service" >"$work/security.txt" 2>&1; then
		tail -1 "$work/security.txt"
		for u in dunmail.service dunmail-send.service; do
			systemd-analyze security --offline=yes --threshold=20 \
				"$units/$u" >/dev/null 2>&1 ||
				fail "$u: systemd-analyze security exposure above 2.0"
		done
	elif grep -q 'Overall exposure' "$work/security.txt"; then
		cat "$work/security.txt" >&2
		fail "dunmail.service: systemd-analyze security exposure above 2.0"
	else
		echo "systemd-analyze security --offline does not run here; not checked"
	fi
else
	echo "no systemd-analyze here: units not verified"
fi

step "purge"
if ! dpkg_root --purge dunmail >"$work/purge.log" 2>&1; then
	cat "$work/purge.log" >&2
	fail "dpkg --purge dunmail failed"
fi
cat "$work/purge.log"
if dpkg-query --admindir="$root/var/lib/dpkg" -W dunmail >/dev/null 2>&1; then
	fail "dpkg still knows dunmail after the purge"
fi
left=
while IFS= read -r path; do
	if [ -e "$root$path" ] || [ -L "$root$path" ]; then left="$left $path"; fi
done <"$work/contents"
[ -z "$left" ] || fail "left after the purge:$left"
info=$(find "$root/var/lib/dpkg/info" -name 'dunmail*' | head -3)
[ -z "$info" ] || fail "dpkg info files left: $info"
echo "nothing of the package is left in the root"
echo "==> deb: ok"

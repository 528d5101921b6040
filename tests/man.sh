#!/usr/bin/env bash
# The man pages against the code, so that they cannot drift:
#
#  - man/dunmail.1: every command of the table in src/cli/commands.c
#    (`dunmail --list-verbs`) is a ".SS VERB" heading under COMMANDS, and
#    no other; under it, a .TP item for each --option of the command's
#    usage line (`dunmail help VERB`), and no other; under OPTIONS, a .TP
#    item for each global option of `dunmail --help`, and no other.
#  - man/dunmail.conf.5: every key of the table in src/config/config.c and
#    every [ledger] column key (`dunmail --list-config-keys`: section.key,
#    type, default) is a .TP item tagged ".B key" under ".SS [section]" in
#    KEYS, and no other, whose text begins "TYPE; default \(lqVALUE\(rq"
#    (or "default empty") with the default of the code, and TYPE "Text",
#    "Path", "Boolean" or "Integer from MIN to MAX" as the code has it.
#    [holidays] has one item, ".I REGION" (config.c takes any key there).
#  - both pass `mandoc -Tlint` (when mandoc is installed: contrib/install-deps
#    installs it) and `groff -man -ww` without a warning.
#
# --list-verbs and --list-config-keys are for developers and are not in
# `dunmail --help`. Run by ctest (tests/CMakeLists.txt) with DUNMAIL set to
# the binary; by hand: DUNMAIL=build/dunmail tests/man.sh
set -euo pipefail

if [ -z "${DUNMAIL:-}" ] || [ ! -x "$DUNMAIL" ]; then
	echo "man.sh: set DUNMAIL to the dunmail binary" >&2
	exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$DUNMAIL" --list-verbs >"$tmp/verbs"
"$DUNMAIL" --list-config-keys >"$tmp/keys"
"$DUNMAIL" --help >"$tmp/help"
while read -r verb; do
	"$DUNMAIL" help "$verb" >"$tmp/help.$verb"
done <"$tmp/verbs"

status=0
python3 - "$top" "$tmp" <<'EOF' || status=1
import re
import sys

top, tmp = sys.argv[1], sys.argv[2]
PAGE1 = "man/dunmail.1"
PAGE5 = "man/dunmail.conf.5"
problems = []


def problem(page, msg):
    problems.append("%s: %s" % (page, msg))


def unescape(s):
    """The text a roff line shows, for the escapes these pages use."""
    s = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", s)
    s = re.sub(r"\\\[u([0-9A-F]{4,6})\]", lambda m: chr(int(m.group(1), 16)), s)
    for esc, text in (("\\(lq", "\u201c"), ("\\(rq", "\u201d"),
                      ("\\(en", "-"), ("\\-", "-"), ("\\&", ""),
                      ("\\e", "\\")):
        s = s.replace(esc, text)
    return s


def macro_text(line):
    """The words of a font macro line (.B, .BI, .IR, ...), joined as shown."""
    m = re.match(r"\.(B|I|BI|IB|BR|RB|IR|RI)\s+(.*)$", line)
    if not m:
        return None
    args = re.findall(r'"((?:[^"]|"")*)"|(\S+)', m.group(2))
    words = [q.replace('""', '"') if q else w for q, w in args]
    return unescape(("" if len(m.group(1)) > 1 else " ").join(words))


def parse(path):
    """[(sh, ss, tag, body)] for each .TP item, and the .SS headings as
    [(sh, ss)]. body is the text up to the next macro line (.br aside)."""
    with open("%s/%s" % (top, path), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith('.\\"')]
    items, heads = [], []
    sh = ss = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".SH "):
            sh, ss = line[4:].strip().strip('"'), None
        elif line.startswith(".SS "):
            ss = line[4:].strip().strip('"')
            heads.append((sh, ss))
        elif line == ".TP" and i + 1 < len(lines):
            tag = lines[i + 1]
            body, j = "", i + 2
            while j < len(lines) and (not lines[j].startswith(".") or
                                      lines[j] == ".br"):
                if lines[j] != ".br":
                    body += lines[j][:-2] if lines[j].endswith("\\c") \
                        else lines[j] + " "
                j += 1
            items.append((sh, ss, tag, unescape(body).strip()))
            i += 1
        i += 1
    return items, heads


OPT = re.compile(r"(?<![\w-])--?[A-Za-z][A-Za-z-]*")

# dunmail(1): the commands and their options.
with open(tmp + "/verbs") as f:
    verbs = [v.strip() for v in f if v.strip()]
items, heads = parse(PAGE1)
page_verbs = [ss for sh, ss in heads if sh == "COMMANDS"]
for v in verbs:
    if v not in page_verbs:
        problem(PAGE1, "command '%s' (src/cli/commands.c) has no '.SS %s' "
                "under COMMANDS" % (v, v))
for v in page_verbs:
    if v not in verbs:
        problem(PAGE1, "'.SS %s' under COMMANDS: dunmail has no such "
                "command" % v)
for v in verbs:
    with open("%s/help.%s" % (tmp, v)) as f:
        usage = f.read().split("\n\n")[0]
    want = set(o for o in OPT.findall(usage) if o.startswith("--"))
    have = set()
    for sh, ss, tag, body in items:
        text = macro_text(tag)
        if sh == "COMMANDS" and ss == v and text and text.startswith("-"):
            have.update(OPT.findall(text))
    for o in sorted(want - have):
        problem(PAGE1, "command '%s': option %s of its usage has no .TP "
                "item" % (v, o))
    for o in sorted(have - want):
        problem(PAGE1, "command '%s': option %s is not in its usage "
                "(dunmail help %s)" % (v, o, v))
with open(tmp + "/help") as f:
    help_text = f.read()
want = set()
for line in help_text.split("Global options:", 1)[1].splitlines():
    if line.lstrip().startswith("-"):
        want.update(OPT.findall(re.split(r"\s{2,}", line.strip())[0]))
have = set()
for sh, ss, tag, body in items:
    text = macro_text(tag)
    if sh == "OPTIONS" and text:
        have.update(OPT.findall(text))
for o in sorted(want - have):
    problem(PAGE1, "global option %s (dunmail --help) has no .TP item "
            "under OPTIONS" % o)
for o in sorted(have - want):
    problem(PAGE1, "OPTIONS: %s is not a global option of dunmail --help" % o)

# dunmail.conf(5): every key, its type and its default.
code = {}
with open(tmp + "/keys", encoding="utf-8") as f:
    for line in f:
        key, ktype, default = line.rstrip("\n").split("\t")
        code[key] = (ktype, default)
items, heads = parse(PAGE5)
page = {}
regions = 0
for sh, ss, tag, body in items:
    if sh != "KEYS":
        continue
    m = re.match(r"\[([a-z_]+)\]$", ss or "")
    if not m:
        problem(PAGE5, "KEYS: .TP item '%s' is not under a '.SS [section]' "
                "heading" % tag)
        continue
    section = m.group(1)
    if section == "holidays" and tag == ".I REGION":
        regions += 1
        continue
    t = re.match(r"\.B (\S+)$", tag)
    if not t:
        problem(PAGE5, "[%s]: tag '%s' is not '.B KEY'" % (section, tag))
        continue
    key = "%s.%s" % (section, unescape(t.group(1)))
    if key in page:
        problem(PAGE5, "[%s] %s: described twice" % (section, t.group(1)))
    page[key] = body
if regions != 1:
    problem(PAGE5, "[holidays]: needs one '.I REGION' item")
for key in code:
    if key not in page:
        section, name = key.split(".", 1)
        problem(PAGE5, "[%s] %s: missing (src/config/config.c has the key)"
                % (section, name))
for key in page:
    if key not in code:
        section, name = key.split(".", 1)
        problem(PAGE5, "[%s] %s: dunmail has no such key" % (section, name))
for key in sorted(set(code) & set(page)):
    ktype, default = code[key]
    section, name = key.split(".", 1)
    m = re.match("([^;]+); default (?:\u201c(.*?)\u201d|(empty))", page[key])
    if not m:
        problem(PAGE5, "[%s] %s: the text does not begin 'TYPE; default "
                "\\(lqVALUE\\(rq' or 'TYPE; default empty'" % (section, name))
        continue
    ptype, pdefault = m.group(1), "" if m.group(3) else m.group(2)
    if pdefault != default:
        problem(PAGE5, "[%s] %s: the page gives the default '%s', the code "
                "'%s'" % (section, name, pdefault, default))
    if ktype.startswith("integer:"):
        lo, hi = ktype.split(":")[1:]
        want = "Integer from %s to %s" % (lo, hi)
    else:
        want = {"string": "Text", "path": "Path",
                "boolean": "Boolean"}.get(ktype)
    if want and ptype != want:
        problem(PAGE5, "[%s] %s: the page says '%s', the code is '%s'"
                % (section, name, ptype, want))
    if not want and ptype.split()[0] in ("Text", "Path", "Boolean", "Integer"):
        problem(PAGE5, "[%s] %s: the page says '%s'; the key has a syntax of "
                "its own" % (section, name, ptype))

for p in problems:
    print("man.sh: " + p)
print("man.sh: %d commands, %d config keys checked; %s" % (
    len(verbs), len(code), "%d problem(s)" % len(problems) if problems
    else "the pages match the code"))
sys.exit(1 if problems else 0)
EOF

for page in man/dunmail.1 man/dunmail.conf.5; do
	if command -v mandoc >/dev/null 2>&1; then
		if ! mandoc -Tlint -W style "$top/$page" >"$tmp/lint" 2>&1 ||
		    [ -s "$tmp/lint" ]; then
			sed 's/^/man.sh: /' "$tmp/lint"
			echo "man.sh: $page: mandoc -Tlint complains"
			status=1
		fi
	else
		echo "man.sh: mandoc is not installed (contrib/install-deps); $page not linted"
	fi
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$top/$page" >"$tmp/groff" 2>&1 || true
		if [ -s "$tmp/groff" ]; then
			sed 's/^/man.sh: /' "$tmp/groff"
			echo "man.sh: $page: groff -ww warns"
			status=1
		fi
	fi
done
[ "$status" -eq 0 ] && echo "man.sh: ok"
exit "$status"

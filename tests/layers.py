#!/usr/bin/env python3
"""Checks the shape of the source tree that docs/architecture.md describes.

- Every file under src/<stage>/ and include/dunmail/<stage>/ includes
  headers of its own stage or of a lower one, never of a higher one; so no
  two stages include each other, directly or through a third.
- Given the built library (libdunmail_core.a), its objects' symbols show
  who calls whom: no call goes up a stage, and no files call each other
  in a circle, inside a stage or across.
- Each third-party library is included only by the modules that own it.
- No source file is over 1,500 lines.

Run from anywhere: python3 tests/layers.py [BUILD/libdunmail_core.a]. Exit 0 when the tree holds,
1 with one line per problem (file:line, what, what to do) when it does not.
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Lowest first: a stage may include only stages at or before it here.
STAGES = ["core", "config", "model", "store", "mail", "parse", "reply",
          "ledger", "cases", "agent", "cli"]

# Library header (prefix) -> the files that alone may include it, as
# paths under src/ (a folder ending in / means every file in it).
WALLS = {
    "sqlite3.h": ["store/"],
    "curl/": ["mail/smtp.c"],
    "libetpan/": ["mail/imap.c", "parse/parse.c"],
    "pcre2.h": ["parse/quote.c", "reply/classify.c"],
    "openssl/": ["core/sha256.c", "mail/tls.c"],
    "microhttpd.h": ["web/"],
    "ini.h": ["config/config.c"],
    "csv.h": ["ledger/ledger.c"],
    "cmark.h": ["mail/render.c"],
    "gumbo.h": ["parse/html.c"],
    "iconv.h": ["parse/charset.c"],
}

MAX_LINES = 1500
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def stage_of(rel):
    """The stage a path under src/ or include/dunmail/ belongs to."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    if parts[:2] == ["include", "dunmail"] and len(parts) > 3:
        return parts[2]
    return None


def walled(lib, rel_src):
    for prefix, owners in WALLS.items():
        if lib.startswith(prefix):
            return not any(rel_src == o or (o.endswith("/") and
                           rel_src.startswith(o)) for o in owners), prefix
    return False, None


def call_problems(archive):
    """Who calls whom, from the symbols of the built library's objects:
    a call up a stage, or a circle of calls among files."""
    out = subprocess.run(["nm", "-A", archive], capture_output=True,
                         text=True, check=True).stdout
    defined, wanted = {}, {}
    for line in out.splitlines():
        where, _, rest = line.rpartition(":")
        obj = where.rsplit(":", 1)[-1]
        fields = rest.split()
        if len(fields) == 3 and fields[1] in "TDBR":
            defined[fields[2]] = obj
        elif len(fields) == 2 and fields[0] == "U":
            wanted.setdefault(obj, set()).add(fields[1])
    # Objects are named file.c.o; the stage comes from the source tree.
    stage = {}
    for s in STAGES:
        d = os.path.join(TOP, "src", s)
        if os.path.isdir(d):
            for name in os.listdir(d):
                stage[name + ".o"] = s
    graph = {}
    problems = []
    for obj, syms in wanted.items():
        for sym in syms:
            to = defined.get(sym)
            if to is None or to == obj:
                continue
            graph.setdefault(obj, set()).add(to)
            if obj in stage and to in stage and \
                    STAGES.index(stage[to]) > STAGES.index(stage[obj]):
                problems.append("%s calls %s() in %s, a higher stage; pass "
                                "a callback down instead"
                                % (obj[:-2], sym, to[:-2]))
    seen, stack, onstack = set(), [], set()

    def visit(m):
        seen.add(m)
        stack.append(m)
        onstack.add(m)
        for n in sorted(graph.get(m, ())):
            if n in onstack:
                cycle = stack[stack.index(n):] + [n]
                problems.append("call circle: %s; give the shared part one "
                                "owner" % " -> ".join(c[:-2] for c in cycle))
            elif n not in seen:
                visit(n)
        stack.pop()
        onstack.discard(m)
    for m in sorted(graph):
        if m not in seen:
            visit(m)
    return problems


def main():
    archive = sys.argv[1] if len(sys.argv) > 1 else None
    problems = []
    files = []
    for base in ("src", os.path.join("include", "dunmail")):
        for root, _, names in os.walk(os.path.join(TOP, base)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(root, name),
                                                 TOP))
    for rel in sorted(files):
        stage = stage_of(rel)
        if stage is None:
            problems.append("%s: not in a stage folder; move it under "
                            "src/<stage>/ or include/dunmail/<stage>/" % rel)
            continue
        if stage not in STAGES:
            problems.append("%s: unknown stage '%s'; add it to STAGES in "
                            "tests/layers.py and to docs/architecture.md"
                            % (rel, stage))
            continue
        with open(os.path.join(TOP, rel), encoding="utf-8") as f:
            lines = f.readlines()
        if rel.endswith(".c") and len(lines) > MAX_LINES:
            problems.append("%s: %d lines, over %d; split it by concern"
                            % (rel, len(lines), MAX_LINES))
        for n, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, path = m.groups()
            if path.startswith("dunmail/"):
                target = path.split("/")
                if len(target) != 3:
                    problems.append("%s:%d: %s is not dunmail/<stage>/<file>"
                                    % (rel, n, path))
                    continue
                other = target[1]
                if other not in STAGES:
                    problems.append("%s:%d: %s names no stage" % (rel, n, path))
                    continue
                if STAGES.index(other) > STAGES.index(stage):
                    problems.append(
                        "%s:%d: stage %s includes %s, a higher stage; "
                        "pass a callback down instead (docs/architecture.md)"
                        % (rel, n, stage, path))
            elif kind == '"':
                local = os.path.join(os.path.dirname(rel), path)
                if not os.path.exists(os.path.join(TOP, local)):
                    problems.append("%s:%d: \"%s\" is not beside it; "
                                    "include dunmail/<stage>/%s"
                                    % (rel, n, path, path))
            elif rel.startswith("src/"):
                bad, lib = walled(path, rel[len("src/"):])
                if bad:
                    problems.append("%s:%d: includes <%s>, which only %s may "
                                    "include; call that module instead"
                                    % (rel, n, path,
                                       ", ".join(WALLS[lib])))

    if archive:
        problems += call_problems(archive)

    for p in problems:
        print(p)
    nfiles = len(files)
    if problems:
        print("layers: %d problem(s) in %d files" % (len(problems), nfiles))
        return 1
    print("layers: %d files in %d stages, calls go down, no circles, "
          "no file over %d lines" % (nfiles, len(STAGES), MAX_LINES))
    return 0


if __name__ == "__main__":
    sys.exit(main())

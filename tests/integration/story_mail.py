#!/usr/bin/env python3
"""Mail-side helpers for the end-to-end story (tests/integration/story_lib.sh).

Reads the sandbox's Maildirs on disk (as root) and the dunmail store
(read-only), and writes the debtors' replies:

  reply     a debtor's answer to the newest message in its INBOX from
            ar@vendor.test, threaded (In-Reply-To/References) and quoting
            it Gmail- or Outlook-style below the debtor's words
  received  one line per message in a mailbox, with what the store says
            it was (template, kind, invoices) and its local time
  audit     every debtor mailbox against the store: each sent message
            once per recipient, nothing else, inside the debtor's window
  states    the cases (`dunmail cases --json` on stdin) against the
            expected states and next actions
  summary   what each mailbox received, as a table
"""
import argparse
import collections
import configparser
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import hashlib
import json
import os
import random
import sqlite3
import sys
from zoneinfo import ZoneInfo

AR = "ar@vendor.test"
UTC = dt.timezone.utc


def maildir(root, user, folder="INBOX"):
    local, dom = user.lower().split("@")
    path = os.path.join(root, dom, local, "Maildir")
    if folder.upper() != "INBOX":
        path = os.path.join(path, "." + folder.replace("/", "."))
    return path


def ignored():
    """Maildir file names that were there before the story began (a
    reused sandbox): $STORY_IGNORE lists them, one a line."""
    global _IGNORED
    if _IGNORED is None:
        _IGNORED = set()
        path = os.environ.get("STORY_IGNORE")
        if path and os.path.exists(path):
            with open(path) as fp:
                _IGNORED = {l.strip() for l in fp if l.strip()}
    return _IGNORED


_IGNORED = None


def messages(root, user, folder="INBOX"):
    """[(path, email.message.Message)] in a Maildir folder, by Date."""
    out = []
    skip = ignored()
    base = maildir(root, user, folder)
    for sub in ("new", "cur"):
        d = os.path.join(base, sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.split(":")[0] in skip:
                continue
            p = os.path.join(d, f)
            with open(p, "rb") as fp:
                out.append((p, email.message_from_binary_file(
                    fp, policy=email.policy.compat32)))
    out.sort(key=lambda pm: (msg_time(pm[1]) or dt.datetime.min.replace(tzinfo=UTC), pm[0]))
    return out


def msg_time(m):
    try:
        return email.utils.parsedate_to_datetime(m.get("Date", ""))
    except (TypeError, ValueError):
        return None


def msgid(m):
    return (m.get("Message-ID") or "").strip().strip("<>")


def decode(h):
    if h is None:
        return ""
    return str(email.header.make_header(email.header.decode_header(str(h))))


def text_part(m):
    for part in m.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            cs = part.get_content_charset() or "utf-8"
            return part.get_payload(decode=True).decode(cs, "replace")
    return ""


def attachments(m):
    out = []
    for part in m.walk():
        fn = part.get_filename()
        if fn and part.get_content_maintype() != "multipart":
            data = part.get_payload(decode=True) or b""
            out.append((decode(fn), hashlib.sha256(data).hexdigest()))
    return out


def load_conf(path):
    conf = configparser.ConfigParser(interpolation=None, strict=False,
                                     delimiters=("=",))
    conf.optionxform = str
    with open(path, encoding="utf-8") as fp:
        conf.read_file(fp)
    return conf


# ---------------------------------------------------------------- reply

EN_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
EN_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
ZH_DAYS = "一二三四五六日"


def quote_intro(style, orig, tz):
    t = msg_time(orig).astimezone(ZoneInfo(tz))
    frm = decode(orig.get("From"))
    if style == "gmail":
        return "On %s, %d %s %d at %02d:%02d, %s wrote:" % (
            EN_DAYS[t.weekday()], t.day, EN_MONTHS[t.month - 1], t.year,
            t.hour, t.minute, frm)
    if style == "gmail-zh":
        return "在 %d年%d月%d日 周%s %02d:%02d，%s 写道：" % (
            t.year, t.month, t.day, ZH_DAYS[t.weekday()], t.hour, t.minute, frm)
    return None


def cmd_reply(a):
    mine = [(p, m) for p, m in messages(a.root, a.user)
            if AR in (m.get("From") or "")]
    if a.template:
        db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
        want = {r[0] for r in db.execute(
            "SELECT message_id FROM message WHERE direction = 'out' AND template = ?",
            (a.template,))}
        mine = [(p, m) for p, m in mine if msgid(m) in want]
    if not mine:
        sys.exit("story_mail: %s has no message from %s to reply to" % (a.user, AR))
    orig = mine[-1][1]
    when = dt.datetime.fromisoformat(a.date.replace("Z", "+00:00"))
    subject = " ".join(decode(orig.get("Subject")).split())
    refs = (orig.get("References") or "").split()
    refs.append("<%s>" % msgid(orig))
    new_id = "story.%s.%s.%06d@buyer.test" % (a.key, when.strftime("%Y%m%d"),
                                             random.randrange(10 ** 6))
    words = a.text.replace("\\n", "\n")
    if a.auto:
        body = words + "\n"
    elif a.style == "outlook":
        t = msg_time(orig).astimezone(ZoneInfo(a.tz))
        body = (words + "\n\n" + "_" * 32 + "\n"
                "From: %s\nSent: %s, %d %s %d %02d:%02d\nTo: %s\nSubject: %s\n\n%s" % (
                    decode(orig.get("From")), EN_DAYS[t.weekday()], t.day,
                    EN_MONTHS[t.month - 1], t.year, t.hour, t.minute,
                    decode(orig.get("To")), subject, text_part(orig)))
    else:
        quoted = "\n".join(("> " + l) if l else ">" for l in
                           text_part(orig).rstrip("\n").split("\n"))
        body = "%s\n\n%s\n%s\n" % (words, quote_intro(a.style, orig, a.tz), quoted)
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((a.name, a.user))
    msg["To"] = AR
    prefix = "Automatic reply: " if a.auto else ("回复：" if a.style == "gmail-zh" else "Re: ")
    msg["Subject"] = prefix + subject
    msg["Date"] = email.utils.format_datetime(when.astimezone(ZoneInfo(a.tz)))
    msg["Message-ID"] = "<%s>" % new_id
    msg["In-Reply-To"] = "<%s>" % msgid(orig)
    msg["References"] = " ".join(refs[-10:])
    if a.auto:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body, charset="utf-8")
    with open(a.out, "wb") as fp:
        fp.write(msg.as_bytes())
    print(msgid(orig), new_id)


# ---------------------------------------------------------------- store

class Store:
    def __init__(self, path):
        self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        self.db.row_factory = sqlite3.Row
        self.out = {}
        for r in self.db.execute(
                "SELECT m.id, m.message_id, m.kind, m.template, m.to_addrs, "
                "m.sent_at, m.outbox_state, d.ref, d.name, d.timezone, d.region "
                "FROM message m LEFT JOIN debtor d ON d.id = m.debtor_id "
                "WHERE m.direction = 'out'"):
            self.out[r["message_id"]] = dict(r)
        self.cases = collections.defaultdict(list)
        for r in self.db.execute(
                "SELECT mc.message_id, i.number, mc.stage, i.due_date "
                "FROM message_case mc JOIN dcase c ON c.id = mc.case_id "
                "JOIN invoice i ON i.id = c.invoice_id ORDER BY i.number"):
            self.cases[r[0]].append((r[1], r[2], r[3]))

    def invoices(self, mid):
        m = self.out.get(mid)
        return [c[0] for c in self.cases[m["id"]]] if m else []

    def debtor_of(self, addr):
        r = self.db.execute(
            "SELECT d.ref, d.name, d.timezone, d.region FROM debtor d "
            "JOIN contact c ON c.debtor_id = d.id WHERE c.email = ?",
            (addr,)).fetchone()
        return dict(r) if r else None


def cmd_received(a):
    st = Store(a.db)
    tz = a.tz
    if not tz:
        deb = st.debtor_of(a.user)
        tz = deb["timezone"] if deb else "UTC"
    for p, m in messages(a.root, a.user, a.folder):
        mid = msgid(m)
        row = st.out.get(mid, {})
        t = msg_time(m)
        local = t.astimezone(ZoneInfo(tz)) if t else None
        atts = ",".join(n for n, _ in attachments(m)) or "-"
        print("%s %s %s %s %s %s" % (
            local.strftime("%Y-%m-%d") if local else "?",
            local.strftime("%H:%M") if local else "?",
            row.get("template") or row.get("kind") or "-",
            ",".join(st.invoices(mid)) or "-", atts, mid))


def cmd_audit(a):
    """Every debtor mailbox against the store. Prints 'FAIL: ...' lines
    and 'ok: ...' lines; exit 1 if anything failed."""
    st = Store(a.db)
    conf = load_conf(a.conf)
    w0, w1 = [int(x[:2]) * 60 + int(x[3:5]) for x in
              conf.get("policy", "window", fallback="09:00-17:00").split("-")]
    holidays = collections.defaultdict(set)
    if conf.has_section("holidays"):
        for region, dates in conf.items("holidays"):
            for x in dates.split(","):
                holidays["*" if region in ("*", "all") else region.upper()].add(x.strip())
    fails = []
    seen = collections.Counter()
    n = 0
    for user in a.users.split():
        for p, m in messages(a.root, user):
            mid = msgid(m)
            seen[(user, mid)] += 1
            row = st.out.get(mid)
            if row is None or row["outbox_state"] != "sent":
                fails.append("%s got %s, which the store did not send" % (user, mid))
                continue
            if user not in row["to_addrs"].lower():
                fails.append("%s got %s addressed to %s" % (user, mid, row["to_addrs"]))
            n += 1
            t = msg_time(m)
            # A forward is dated when the poll wrote it; the next send
            # delivers it.
            if t is None or not (int(t.timestamp()) == row["sent_at"] or (
                    row["kind"] == "forward" and
                    0 <= row["sent_at"] - int(t.timestamp()) < 86400)):
                fails.append("%s: Date of %s is not its sent time" % (user, mid))
                continue
            if row["kind"] == "forward" or not row["timezone"]:
                continue
            local = t.astimezone(ZoneInfo(row["timezone"]))
            mins = local.hour * 60 + local.minute
            day = local.strftime("%Y-%m-%d")
            if not (w0 <= mins < w1) or local.weekday() >= 5 or \
                    day in holidays["*"] or day in holidays[row["region"].upper()]:
                fails.append("%s: %s (%s) at %s %s is outside the window" % (
                    user, mid, row["template"], local.isoformat(), row["timezone"]))
            # No reminder stage before its day (due date + offset, local).
            if row["kind"] == "reminder":
                for inv, stage, due in st.cases[row["id"]]:
                    off = STAGES.get(stage)
                    if off is not None and day < str(dt.date.fromisoformat(due) + dt.timedelta(days=off)):
                        fails.append("%s: %s for %s on %s, before its day" % (user, stage, inv, day))
    for (user, mid), k in seen.items():
        if k > 1:
            fails.append("%s got %s %d times" % (user, mid, k))
    # Every sent message reached each of its recipients once.
    users = set(a.users.split())
    for mid, row in st.out.items():
        if row["outbox_state"] != "sent":
            continue
        for rcpt in row["to_addrs"].lower().replace(";", ",").split(","):
            rcpt = rcpt.strip()
            if rcpt in users and seen[(rcpt, mid)] != 1:
                fails.append("%s (%s) never reached %s" % (mid, row["template"], rcpt))
    # Each (case, stage) at most once.
    per = collections.Counter()
    for mid, row in st.out.items():
        if row["outbox_state"] == "sent" and row["kind"] == "reminder":
            for inv, stage, _ in st.cases[row["id"]]:
                # "": listed in a final notice at no stage of its own.
                if stage:
                    per[(inv, stage)] += 1
    for (inv, stage), k in per.items():
        if k > 1:
            fails.append("%s got stage %s %d times" % (inv, stage, k))
    for f in fails:
        print("FAIL: " + f)
    print("ok: %d messages in %d mailboxes checked against the store" % (n, len(users)))
    sys.exit(1 if fails else 0)


STAGES = {"before_due": -7, "due_today": 0, "overdue_1": 3, "overdue_2": 10,
          "final_notice": 30}


def cmd_states(a):
    """Cases from `dunmail cases --json` (stdin) against the expectations
    in --expect (lines: INVOICE STATE NEXT; STATE 'R' = reminding, i.e.
    upcoming/overdue by the due date in the debtor's zone at --now, or
    escalated once the final notice went; NEXT 'R' = remind, or
    wait(final_deadline) once the final notice went; NEXT '*' = any)."""
    st = Store(a.db)
    now = dt.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
    want = {}
    with open(a.expect) as fp:
        for line in fp:
            f = line.split()
            if len(f) >= 3:
                want[f[0]] = (f[1], f[2])
    zones = {r[0]: r[1] for r in st.db.execute(
        "SELECT i.number, d.timezone FROM invoice i JOIN debtor d ON d.id = i.debtor_id")}
    final = {r[0] for r in st.db.execute(
        "SELECT i.number FROM message_case mc JOIN message m ON m.id = mc.message_id "
        "JOIN dcase c ON c.id = mc.case_id JOIN invoice i ON i.id = c.invoice_id "
        "WHERE m.outbox_state = 'sent' AND mc.stage = 'final_notice'")}
    bad = 0
    got = {}
    for line in sys.stdin:
        c = json.loads(line)
        got[c["invoice"]] = c
    for inv in sorted(set(want) | set(got)):
        c = got.get(inv)
        w = want.get(inv)
        if c is None or w is None:
            print("FAIL: %s: expected %s, got %s" % (inv, w, c and c["state"]))
            bad += 1
            continue
        state, nxt = w
        if state == "R":
            today = now.astimezone(ZoneInfo(zones[inv])).date().isoformat()
            state = "escalated" if inv in final else (
                "overdue" if c["due_date"] < today else "upcoming")
        if nxt == "R":
            # After the final notice no stage is left to send: the case
            # waits for its deadline (wait(final_deadline)), then a person.
            nxt = "wait" if inv in final else "remind"
        actual_next = c["next_action"] + ("(%s)" % c["next_detail"] if c["next_detail"] else "")

        if c["state"] != state or (nxt != "*" and actual_next != nxt and c["next_action"] != nxt):
            print("FAIL: %s: expected %s/%s, got %s/%s" % (inv, state, nxt, c["state"], actual_next))
            bad += 1
    print("ok: %d cases checked" % len(got))
    sys.exit(1 if bad else 0)


def cmd_summary(a):
    st = Store(a.db)
    rows = []
    for user in a.users.split():
        deb = st.debtor_of(user)
        tz = deb["timezone"] if deb else "Europe/London"
        items = []
        for p, m in messages(a.root, user):
            mid = msgid(m)
            row = st.out.get(mid, {})
            t = msg_time(m).astimezone(ZoneInfo(tz))
            what = row.get("template") or row.get("kind") or "?"
            if row.get("kind") == "forward":
                what = "fwd:" + (m.get("X-Dunmail-Handoff") or "?")
            items.append("%s %s" % (t.strftime("%m-%d"), what))
        rows.append((user.split("@")[0], len(items), items))
    w = max(len(r[0]) for r in rows)
    print("%-*s %3s  %s" % (w, "mailbox", "n", "received (local date, template)"))
    for name, n, items in rows:
        line = ", ".join(items) or "(nothing)"
        chunks = []
        while len(line) > 100:
            cut = line.rfind(", ", 0, 100)
            chunks.append(line[:cut + 1])
            line = line[cut + 2:]
        chunks.append(line)
        print("%-*s %3d  %s" % (w, name, n, chunks[0]))
        for c in chunks[1:]:
            print("%-*s %3s  %s" % (w, "", "", c))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reply")
    r.add_argument("--root", required=True)
    r.add_argument("--user", required=True)
    r.add_argument("--name", default="")
    r.add_argument("--style", default="gmail",
                   choices=["gmail", "gmail-zh", "outlook"])
    r.add_argument("--date", required=True)
    r.add_argument("--tz", default="UTC")
    r.add_argument("--text", required=True)
    r.add_argument("--key", default="reply")
    r.add_argument("--auto", action="store_true")
    r.add_argument("--template", help="reply to the newest of this template")
    r.add_argument("--db")
    r.add_argument("--out", required=True)
    r.set_defaults(fn=cmd_reply)
    r = sub.add_parser("received")
    r.add_argument("--root", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--user", required=True)
    r.add_argument("--folder", default="INBOX")
    r.add_argument("--tz")
    r.set_defaults(fn=cmd_received)
    r = sub.add_parser("audit")
    r.add_argument("--root", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--conf", required=True)
    r.add_argument("--users", required=True)
    r.set_defaults(fn=cmd_audit)
    r = sub.add_parser("states")
    r.add_argument("--db", required=True)
    r.add_argument("--expect", required=True)
    r.add_argument("--now", required=True)
    r.set_defaults(fn=cmd_states)
    r = sub.add_parser("summary")
    r.add_argument("--root", required=True)
    r.add_argument("--db", required=True)
    r.add_argument("--users", required=True)
    r.set_defaults(fn=cmd_summary)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()

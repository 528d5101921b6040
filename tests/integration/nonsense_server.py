#!/usr/bin/env python3
"""A fake SMTP or IMAP server that answers nonsense, for
tests/integration/test_nonsense_servers.sh. Standard library only.

    nonsense_server.py smtp|imap DIR

Listens on 127.0.0.1, port 0, and prints the port on stdout. Every
connection reads the scenario to play from DIR/scenario (one word; see
SMTP_SCENARIOS and IMAP_SCENARIOS below), so one server serves the whole
test. What the server saw goes to files in DIR:

    log        one line per connection and per command
    accepted   SMTP: the Message-ID of each message answered 250 after
               its end of data (the only ones a client may call sent)
    eod        SMTP: the Message-ID of each message whose end of data
               arrived, whatever the answer
    changed    IMAP: each command that changes the mailbox (STORE, MOVE,
               COPY, EXPUNGE, APPEND), with its UIDs
"""
import os
import re
import socket
import socketserver
import sys
import threading

CAP = 4 << 20          # bytes of endless output before the server gives up
HOLD = 30              # seconds a silent scenario waits for the client
lock = threading.Lock()
DIR = "."


def note(name, text):
    with lock, open(os.path.join(DIR, name), "a", encoding="utf-8") as f:
        f.write(text + "\n")


def scenario():
    try:
        with open(os.path.join(DIR, "scenario"), encoding="utf-8") as f:
            return f.read().strip() or "good"
    except FileNotFoundError:
        return "good"


JUNK = bytes(range(256)) + b"\0\0\0\xff\xfe\r\n\0\x1b[2J\x00garbage\0\r\n"


class Conn:
    """Line reading with a cap, on a socket with a time-out."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        sock.settimeout(HOLD)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """One line without its CRLF, or None when the client went."""
        while b"\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                return None
            try:
                chunk = self.sock.recv(65536)
            except (OSError, socket.timeout):
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def read(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, socket.timeout):
                return None
            if not chunk:
                return None
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def wait_close(self):
        """Reads and drops whatever comes until the client hangs up."""
        try:
            while self.sock.recv(65536):
                pass
        except (OSError, socket.timeout):
            pass


# --- SMTP ---------------------------------------------------------------

def message_id(lines):
    for raw in lines:
        if not raw:
            break  # end of the header
        m = re.match(rb"(?i)message-id:\s*<?([^>\s]*)>?", raw)
        if m:
            return m.group(1).decode("ascii", "replace")
    return "(no Message-ID)"


def smtp_session(c, name):
    """A well-behaved SMTP server, but for the one place name spoils."""
    greeting = {
        "not_smtp": "HELLO I AM NOT SMTP\r\n",
        "binary": JUNK,
        "greet_554": "554 5.3.2 no SMTP service here\r\n",
        "long_line": "220 " + "A" * (1 << 20),
    }.get(name, "220 fake.test ESMTP nonsense_server\r\n")
    c.send(greeting)
    if name in ("not_smtp", "binary", "long_line"):
        c.wait_close()
        return
    while True:
        line = c.line()
        if line is None:
            return
        note("log", "C: " + line.decode("latin-1")[:200])
        verb = line.split(b" ", 1)[0].upper()
        if verb in (b"EHLO", b"HELO"):
            if name == "ehlo_flood":
                sent = 0
                chunk = ("250-" + "X" * 990 + "\r\n").encode() * 64
                while sent < CAP:
                    c.send(chunk)
                    sent += len(chunk)
                return
            c.send("250-fake.test\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
        elif verb == b"MAIL":
            c.send("250 2.1.0 sender ok\r\n")
        elif verb == b"RCPT":
            c.send("25O ok\r\n" if name == "rcpt_25O" else
                   "250 2.1.5 recipient ok\r\n")
        elif verb == b"DATA":
            c.send("354 go ahead\r\n")
            body = []
            while True:
                dl = c.line()
                if dl is None:
                    return
                if dl == b".":
                    break
                body.append(dl)
            mid = message_id(body)
            note("eod", mid)
            if name == "eod_999":
                c.send("999 what\r\n")
            elif name == "eod_close":
                return
            elif name == "eod_silent":
                continue  # no answer; QUIT still gets its 221
            else:
                note("accepted", mid)
                c.send("250 2.0.0 Ok: queued as FAKE%d\r\n" % len(body))
        elif verb == b"QUIT":
            c.send("221 2.0.0 bye\r\n")
            return
        elif verb in (b"RSET", b"NOOP"):
            c.send("250 2.0.0 ok\r\n")
        else:
            c.send("502 5.5.2 not implemented\r\n")


SMTP_SCENARIOS = ("good", "not_smtp", "binary", "greet_554", "ehlo_flood",
                  "long_line", "eod_999", "eod_close", "eod_silent", "rcpt_25O",
                  "silent")


# --- IMAP ---------------------------------------------------------------

UIDVALIDITY = 1700000000


def mailbox():
    """Two replies from debtors, as bytes, by UID."""
    msgs = {}
    for uid, (sender, subject, text) in enumerate([
        ("acme@buyer.test", "Re: Payment reminder: INV-2026-0142",
         "We will pay INV-2026-0142 on Friday."),
        ("globex@buyer.test", "Question", "Who is this?"),
    ], start=1):
        msgs[uid] = (
            "From: %s\r\nTo: ar@vendor.test\r\nSubject: %s\r\n"
            "Message-ID: <fake-%d@buyer.test>\r\n"
            "Date: Mon, 16 Nov 2026 10:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "\r\n%s\r\n" % (sender, subject, uid, text)).encode()
    return msgs


def uid_set(text, top):
    uids = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo = top if lo == "*" else int(lo)
        hi = lo if not hi else (top if hi == "*" else int(hi))
        lo, hi = min(lo, hi), max(lo, hi)
        uids.update(range(lo, min(hi, top + 1000) + 1))
    return uids


def imap_args(rest):
    """Splits the arguments of a command: atoms and quoted strings."""
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest)]


def imap_session(c, name):
    msgs = mailbox()
    greeting = {
        "not_imap": "HELLO I AM NOT IMAP\r\n",
        "binary": JUNK,
        "bye": "* BYE no IMAP service here today\r\n",
    }.get(name, "* OK [CAPABILITY IMAP4rev1 LOGIN-REFERRALS] fake ready\r\n")
    c.send(greeting)
    if name in ("not_imap", "binary", "bye"):
        c.wait_close()
        return
    caps = "IMAP4rev1 UIDPLUS MOVE"
    while True:
        line = c.line()
        if line is None:
            return
        text = line.decode("latin-1")
        m = re.match(r"(\S+) (\S+)(?: (.*))?$", text)
        if not m:
            c.send("* BAD what\r\n")
            continue
        tag, cmd, rest = m.group(1), m.group(2).upper(), m.group(3) or ""
        if cmd == "UID":
            sub, _, rest = rest.partition(" ")
            cmd = "UID " + sub.upper()
        # A literal ({n}) in a command: ask for it, read it.
        lit = re.search(r"\{(\d+)\+?\}$", rest)
        while lit:
            c.send("+ go\r\n")
            data = c.read(int(lit.group(1)))
            more = c.line()
            if data is None or more is None:
                return
            rest = rest[:lit.start()] + '"%s"' % data.decode(
                "latin-1") + more.decode("latin-1")
            lit = re.search(r"\{(\d+)\+?\}$", rest)
        note("log", "C: %s %s %s" % (tag, cmd, "***" if cmd == "LOGIN" else
                                     rest[:200]))
        if cmd == "CAPABILITY":
            if name == "wrong_tag":
                c.send("* CAPABILITY %s\r\nX%s OK done\r\n" % (caps, tag))
                continue
            if name == "garbage_tag":
                c.send("\x01\x02 )))( {{{ nonsense %s\r\n" % tag)
                continue
            c.send("* CAPABILITY %s\r\n%s OK done\r\n" % (caps, tag))
        elif cmd == "LOGIN":
            c.send("%s OK [CAPABILITY %s] logged in\r\n" % (tag, caps))
        elif cmd in ("SELECT", "EXAMINE"):
            exists = "4294967296" if name == "exists_huge" else str(len(msgs))
            c.send("* FLAGS (\\Seen \\Deleted)\r\n* %s EXISTS\r\n"
                   "* 0 RECENT\r\n* OK [UIDVALIDITY %d] ok\r\n"
                   "* OK [UIDNEXT %d] ok\r\n%s OK [READ-WRITE] done\r\n" %
                   (exists, UIDVALIDITY, max(msgs) + 1, tag))
        elif cmd == "UID FETCH":
            set_text, _, items = rest.partition(" ")
            wanted = sorted(u for u in uid_set(set_text, max(msgs))
                            if u in msgs)
            body = "BODY.PEEK[" in items.upper()
            if name == "parens" and not body:
                c.send("* 1 FETCH (UID 1 RFC822.SIZE %d BODYSTRUCTURE "
                       "((\"text\" \"plain\" (\"charset\" \"utf-8\" NIL "
                       "NIL \"7bit\" 12\r\n%s OK done\r\n" %
                       (len(msgs[1]), tag))
                continue
            for seq, uid in enumerate(wanted, start=1):
                data = msgs[uid]
                if body and name == "literal_short" and uid == max(msgs):
                    c.send("* %d FETCH (UID %d RFC822.SIZE %d BODY[] "
                           "{99999999}\r\n" % (seq, uid, len(data)))
                    c.send(data)
                    return
                if body:
                    c.send(("* %d FETCH (UID %d RFC822.SIZE %d BODY[] "
                            "{%d}\r\n" % (seq, uid, len(data),
                                          len(data))).encode() + data +
                           b")\r\n")
                else:
                    c.send("* %d FETCH (UID %d RFC822.SIZE %d)\r\n" %
                           (seq, uid, len(data)))
            c.send("%s OK done\r\n" % tag)
        elif cmd == "LIST":
            args = imap_args(rest)
            pat = args[1] if len(args) > 1 else ""
            if pat == "":
                c.send('* LIST (\\Noselect) "/" ""\r\n')
            elif pat.upper() == "INBOX":
                c.send('* LIST () "/" INBOX\r\n')
            c.send("%s OK done\r\n" % tag)
        elif cmd in ("CREATE", "SUBSCRIBE", "NOOP", "CHECK"):
            c.send("%s OK done\r\n" % tag)
        elif cmd == "UID MOVE" and name == "move_garbage":
            c.send("%s \x00\x7f?? )( moved, maybe\r\n" % tag)
        elif cmd in ("UID MOVE", "UID COPY", "UID STORE", "UID EXPUNGE",
                     "EXPUNGE", "STORE", "COPY", "MOVE", "APPEND"):
            note("changed", "%s %s" % (cmd, rest))
            c.send("%s OK done\r\n" % tag)
        elif cmd == "LOGOUT":
            c.send("* BYE bye\r\n%s OK bye\r\n" % tag)
            return
        else:
            c.send("%s BAD unknown command\r\n" % tag)


IMAP_SCENARIOS = ("good", "not_imap", "binary", "bye", "wrong_tag",
                  "garbage_tag", "literal_short", "exists_huge", "parens",
                  "move_garbage", "silent")


class Handler(socketserver.BaseRequestHandler):
    proto = "smtp"

    def handle(self):
        name = scenario()
        note("log", "connect %s %s" % (self.proto, name))
        known = SMTP_SCENARIOS if self.proto == "smtp" else IMAP_SCENARIOS
        if name not in known:
            note("log", "unknown %s scenario %r: closing" % (self.proto,
                                                            name))
            return
        c = Conn(self.request)
        try:
            if name == "silent":
                c.wait_close()
            elif self.proto == "smtp":
                smtp_session(c, name)
            else:
                imap_session(c, name)
        except (OSError, socket.timeout):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global DIR
    if len(sys.argv) != 3 or sys.argv[1] not in ("smtp", "imap"):
        sys.exit("usage: nonsense_server.py smtp|imap DIR")
    DIR = sys.argv[2]
    Handler.proto = sys.argv[1]
    srv = Server(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

"""Small, explicit MIME writer used by the corpus generator.

Everything is assembled by hand (not with email.generator) so that header
order, folding, charsets and transfer encodings look like the real mail
clients they imitate.  Lines are joined with '\n' while building and the
finished message is converted to CRLF once, at the end.
"""
import base64
import quopri

# Declared charset -> Python codec actually used for the bytes.  gb2312 is
# deliberately written with the GBK codec: real clients label GBK text as
# gb2312 all the time.
CODEC = {
    'us-ascii': 'ascii', 'utf-8': 'utf-8', 'iso-8859-1': 'latin-1',
    'windows-1252': 'cp1252', 'gbk': 'gbk', 'gb2312': 'gbk',
    'gb18030': 'gb18030', 'big5': 'big5',
}


def encode_text(text, charset):
    return text.encode(CODEC[charset.lower()])


def can_encode(text, charset):
    try:
        encode_text(text, charset)
        return True
    except UnicodeEncodeError:
        return False


def cte_encode(data, cte):
    """data: bytes with '\n' line ends.  Returns ASCII-safe str/bytes body."""
    if cte in ('7bit', '8bit'):
        return data
    if cte == 'quoted-printable':
        return quopri.encodestring(data, quotetabs=False)
    if cte == 'base64':
        # canonical text form uses CRLF before base64
        data = data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
        return base64.encodebytes(data)
    raise ValueError(cte)


def _qp_word(b):
    out = []
    for c in b:
        ch = chr(c)
        if ch == ' ':
            out.append('_')
        elif ch.isascii() and (ch.isalnum() or ch in '!*+-/'):
            out.append(ch)
        else:
            out.append('=%02X' % c)
    return ''.join(out)


def encoded_words(s, charset, mode='B', label=None):
    """RFC 2047 encode s as one or more encoded-words (each <= 75 chars),
    splitting only on character boundaries.  Returns a list of words."""
    label = label or charset
    words, cur = [], ''
    overhead = len('=?%s?%s??=' % (label, mode))

    def enc(t):
        b = encode_text(t, charset)
        return base64.b64encode(b).decode() if mode == 'B' else _qp_word(b)

    for ch in s:
        if cur and overhead + len(enc(cur + ch)) > 75:
            words.append('=?%s?%s?%s?=' % (label, mode, enc(cur)))
            cur = ''
        cur += ch
    if cur:
        words.append('=?%s?%s?%s?=' % (label, mode, enc(cur)))
    return words


def fold_words(name, words):
    """'Name: w1\n w2 ...' folding encoded words / tokens at ~76 cols."""
    lines, cur = [], name + ':'
    for w in words:
        if len(cur) + 1 + len(w) > 76 and cur != name + ':':
            lines.append(cur)
            cur = ' ' + w
        else:
            cur += ' ' + w
    lines.append(cur)
    return '\n'.join(lines)


def hdr_text(name, value, charset=None, mode='B', label=None):
    """Unstructured header (Subject).  ASCII values are folded plainly;
    otherwise the whole value is RFC 2047 encoded."""
    if charset is None or value.isascii():
        return fold_words(name, value.split(' '))
    return fold_words(name, encoded_words(value, charset, mode, label))


def addr(display, address, charset=None, mode='B', label=None, quote=False):
    """'Display <address>' with RFC 2047 for non-ASCII display names."""
    if not display:
        return address
    if display.isascii():
        if quote or any(c in display for c in ',.()<>@;:"[]'):
            return '"%s" <%s>' % (display.replace('"', '\\"'), address)
        return '%s <%s>' % (display, address)
    words = encoded_words(display, charset or 'utf-8', mode, label)
    return '%s <%s>' % (' '.join(words), address)


class Part:
    """A MIME entity: header lines (list of str) and body (bytes)."""

    def __init__(self, headers, body):
        self.headers = headers
        self.body = body

    def to_bytes(self):
        h = '\n'.join(self.headers).encode('utf-8')  # headers are ASCII except deliberate raw-8bit cases
        return h + b'\n\n' + self.body


def text_part(subtype, text, charset, cte, params='', extra=None):
    data = encode_text(text, charset)
    if cte == '7bit' and not data.isascii():
        cte = 'quoted-printable'
    body = cte_encode(data, cte)
    ct = 'Content-Type: text/%s; charset="%s"%s' % (subtype, charset, params)
    hs = [ct, 'Content-Transfer-Encoding: %s' % cte]
    if extra:
        hs += extra
    if not body.endswith(b'\n'):
        body += b'\n'
    return Part(hs, body)


def binary_part(ctype, data, filename_hdrs, extra=None):
    hs = ['Content-Type: %s' % ctype] + filename_hdrs + ['Content-Transfer-Encoding: base64']
    if extra:
        hs += extra
    return Part(hs, base64.encodebytes(data))


def multipart(subtype, parts, boundary, params='', preamble=None):
    hs = ['Content-Type: multipart/%s;%s\n\tboundary="%s"' % (subtype, params, boundary)]
    chunks = []
    if preamble:
        chunks.append(preamble.encode('utf-8') + b'\n')
    for p in parts:
        chunks.append(b'\n--' + boundary.encode() + b'\n' + p.to_bytes())
    chunks.append(b'\n--' + boundary.encode() + b'--\n')
    body = b''.join(chunks)
    if body.startswith(b'\n'):
        body = body[1:]
    return Part(hs, body)


def message_bytes(top_headers, part):
    """Top-level headers (caller includes MIME-Version) + the root entity's
    own MIME headers and body, normalised to CRLF."""
    h = '\n'.join(top_headers + part.headers)
    raw = h.encode('utf-8') + b'\n\n' + part.body
    raw = raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    return raw

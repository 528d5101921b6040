/*
 * The MIME tree (libetpan mailmime) to headers and the best text part,
 * charsets to UTF-8, HTML to text, attachment names with RFC 2231
 * parameters, then quote stripping and detection of automatic mail.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "dunmail/core/common.h"
#include "dunmail/core/timeutil.h"
#include "dunmail/parse/charset.h"
#include "dunmail/parse/parse.h"
#include "parse_internal.h"

#define PARSE_DEFAULT_MAX (32u << 20)
#define PARSE_MAX_DEPTH 40
#define PARSE_MAX_REFS 100

/* Message-ID without <> also occurs: take a bare token with an @. */
static char *
msgid_or_bare(const char *s)
{
	char *id = parse__msgid(s), *t;

	if (id || s == NULL)
		return id;
	t = xstrdup(s);
	id = dun_str_trim(t);
	if (*id && strchr(id, '@') && strpbrk(id, " \t<>") == NULL) {
		id = xstrdup(id);
		free(t);
		return id;
	}
	free(t);
	return NULL;
}

static char *
msgid_list(const char *s)
{
	struct dun_buf out;
	const char *lt, *gt;
	int n = 0;

	dun_buf_init(&out, 0);
	while (s && n < PARSE_MAX_REFS && (lt = strchr(s, '<')) != NULL) {
		if ((gt = strchr(lt + 1, '>')) == NULL)
			break;
		if (gt > lt + 1 && memchr(lt + 1, ' ', (size_t)(gt - lt - 1))
		    == NULL) {
			if (n++)
				dun_buf_add(&out, " ", 1);
			dun_buf_add(&out, lt + 1, (size_t)(gt - lt - 1));
		}
		s = gt + 1;
	}
	return dun_buf_detach(&out, NULL);
}

/* --- dates ------------------------------------------------------------ */

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };

static int
month_of(const char *w)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(w, month_names[i], 3) == 0)
			return i + 1;
	return 0;
}

static const struct {
	const char *name;
	int hours;
} zone_names[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
	{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
};

int
parse__date(const char *s, dun_time_t *out, long *offset_out)
{
	char tok[8][32];
	int ntok = 0, i, day = 0, mon = 0, year = -1, hh = -1, mm = 0, ss = 0;
	long off = 0;
	const char *p = s;

	/* Tokens split on blanks and commas; comments dropped. */
	while (*p && ntok < 8) {
		size_t n = 0;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '(') {
			int depth = 0;
			for (; *p; p++) {
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
			continue;
		}
		while (*p && *p != ' ' && *p != '\t' && *p != ',' &&
		    *p != '(') {
			if (n + 1 < sizeof(tok[0]))
				tok[ntok][n++] = *p;
			p++;
		}
		if (n == 0)
			continue;
		tok[ntok++][n] = '\0';
	}
	for (i = 0; i < ntok; i++) {
		char *t = tok[i];
		if (isalpha((unsigned char)t[0]) && mon == 0 && strlen(t) >= 3
		    && month_of(t) && !(strlen(t) <= 4 && strchr("EeCcMmPp",
		    t[0]) && (t[strlen(t) - 1] == 'T' || t[strlen(t) - 1] ==
		    't') && strlen(t) == 3 && (t[1] == 'S' || t[1] == 'D')))
			mon = month_of(t);
		else if (strchr(t, ':') && hh < 0) {
			if (sscanf(t, "%d:%d:%d", &hh, &mm, &ss) < 2)
				return -1;
		} else if ((t[0] == '+' || t[0] == '-') &&
		    isdigit((unsigned char)t[1]) && hh >= 0) {
			int v = atoi(t + 1);
			if (strlen(t + 1) <= 2)
				v *= 100;
			off = (long)((v / 100) * 3600 + (v % 100) * 60);
			if (t[0] == '-')
				off = -off;
		} else if (isdigit((unsigned char)t[0])) {
			int v = atoi(t);
			if (day == 0 && strlen(t) <= 2 && v >= 1 && v <= 31)
				day = v;
			else if (year < 0)
				year = v;
		} else if (isalpha((unsigned char)t[0]) && hh >= 0) {
			size_t z;
			for (z = 0; z < DUN_ARRAY_SIZE(zone_names); z++)
				if (strcasecmp(t, zone_names[z].name) == 0)
					off = zone_names[z].hours * 3600L;
		}
	}
	if (year >= 0 && year < 50)
		year += 2000;
	else if (year >= 50 && year < 1000)
		year += 1900;
	if (day == 0 || mon == 0 || year < 1900 || year > 9999 || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 ||
	    day > dun_days_in_month(year, mon) || off > 14 * 3600 ||
	    off < -14 * 3600)
		return -1;
	*out = (dun_time_t)dun_date_from_ymd(year, mon, day) * 86400 +
	    hh * 3600 + mm * 60 + ss - off;
	*offset_out = off;
	return 0;
}

/* --- MIME parameters with RFC 2231 ------------------------------------ */

struct param {
	char *name;   /* lowercase */
	char *value;  /* unquoted */
};

struct params {
	char *type;   /* "text/plain", lowercase, or "" */
	struct param *v;
	size_t n;
};

static void
params_free(struct params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].value);
	}
	free(ps->v);
	free(ps->type);
	memset(ps, 0, sizeof(*ps));
}

/* "type/sub; a=b; c="d"" into ps (a missing header gives type ""). */
static void
params_parse(struct params *ps, const char *value)
{
	const char *p = value ? value : "", *start;
	struct dun_buf v;
	char *name;

	memset(ps, 0, sizeof(*ps));
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	while (*p && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	ps->type = dun_str_lower(xstrndup(start, (size_t)(p - start)));
	while (*p && ps->n < 64) {
		while (*p && *p != ';')
			p++;
		if (*p == '\0')
			break;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		if (*p != '=')
			continue;
		name = xstrndup(start, (size_t)(p - start));
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		dun_buf_init(&v, 0);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				dun_buf_add(&v, p, 1);
			}
			if (*p == '"')
				p++;
		} else {
			start = p;
			while (*p && *p != ';')
				p++;
			dun_buf_add(&v, start, (size_t)(p - start));
		}
		ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
		ps->v[ps->n].name = dun_str_lower(name);
		{
			char *raw = dun_buf_detach(&v, NULL);
			char *t = xstrdup(dun_str_trim(raw));
			free(raw);
			ps->v[ps->n].value = t;
		}
		{
			char *t = xstrdup(dun_str_trim(ps->v[ps->n].name));
			free(ps->v[ps->n].name);
			ps->v[ps->n].name = t;
		}
		ps->n++;
	}
}

static void
pct_decode(struct dun_buf *out, const char *s)
{
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%' && s[1] && s[2] &&
		    (hi = isxdigit((unsigned char)s[1])) &&
		    (lo = isxdigit((unsigned char)s[2]))) {
			char hex[3] = { s[1], s[2], 0 };
			char c = (char)strtol(hex, NULL, 16);
			dun_buf_add(out, &c, 1);
			s += 2;
			continue;
		}
		dun_buf_add(out, s, 1);
	}
}

/*
 * The value of parameter `name`, decoded to UTF-8: RFC 2231 extended and
 * continued forms first (name*, name*0*, name*1, ...), else the plain one
 * with RFC 2047 words as some clients write them. NULL if absent.
 */
static char *
params_get(const struct params *ps, const char *name, const char *dflcs)
{
	size_t nlen = strlen(name), i;
	struct dun_buf raw;
	char cs[48] = "";
	const char *plain = NULL;
	int idx, found = 0, want;

	dun_buf_init(&raw, 64u << 10);
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0 && plain == NULL)
			plain = ps->v[i].value;
	/* name* alone, then name*0, name*1... in order, whatever the order
	 * of the header. */
	for (want = -1; want < 100; want++) {
		int got = 0;
		for (i = 0; i < ps->n; i++) {
			const char *n = ps->v[i].name, *val = ps->v[i].value;
			char *end;
			int ext;
			if (strncmp(n, name, nlen) != 0 || n[nlen] != '*')
				continue;
			n += nlen + 1;
			if (want < 0) {
				if (*n != '\0')
					continue;
				ext = 1;
			} else {
				if (!isdigit((unsigned char)*n))
					continue;
				idx = (int)strtol(n, &end, 10);
				if (idx != want || (*end && strcmp(end, "*")))
					continue;
				ext = *end == '*';
			}
			if (ext && (want <= 0)) {
				const char *q1 = strchr(val, '\'');
				const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
				if (q1 && q2) {
					size_t l = (size_t)(q1 - val);
					if (l >= sizeof(cs))
						l = sizeof(cs) - 1;
					memcpy(cs, val, l);
					cs[l] = '\0';
					val = q2 + 1;
				}
			}
			if (ext)
				pct_decode(&raw, val);
			else
				dun_buf_puts(&raw, val);
			got = found = 1;
			break;
		}
		if (!got && want >= 0)
			break;
		if (got && want < 0)
			break;
	}
	if (found) {
		char *u = dun_charset_to_utf8(cs[0] ? cs : dflcs,
		    raw.data ? raw.data : "", raw.len, 0, NULL);
		char *d = dun_rfc2047_decode(u, NULL);
		free(u);
		dun_buf_free(&raw);
		return d;
	}
	dun_buf_free(&raw);
	if (plain)
		return dun_rfc2047_decode(plain, dflcs);
	return NULL;
}

/* --- the MIME walk ---------------------------------------------------- */

struct text_part {
	const char *body;     /* borrowed from the input */
	size_t len;
	int encoding;         /* MAILMIME_MECHANISM_* */
	char *charset;        /* owned, or NULL */
	int found;
};

struct walk {
	struct dun_parsed *p;
	struct detect_in *det;
	struct text_part plain, html, nplain, nhtml;
	char **names;
	size_t nnames;
	size_t nparts;
	int broken;
};

static char *
part_decode(const char *body, size_t len, int encoding, size_t *len_out)
{
	char *out;

	if (encoding == MAILMIME_MECHANISM_BASE64)
		return dun_base64_decode(body, len, len_out);
	if (encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE)
		return dun_qp_decode(body, len, 0, len_out);
	out = xmalloc(len + 1);
	memcpy(out, body, len);
	out[len] = '\0';
	if (len_out)
		*len_out = len;
	return out;
}

static void
text_take(struct text_part *tp, const struct mailmime_data *d,
    const struct params *ct)
{
	size_t i;

	if (tp->found || d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	tp->body = d->dt_data.dt_text.dt_data;
	tp->len = d->dt_data.dt_text.dt_length;
	tp->encoding = d->dt_encoding;
	for (i = 0; i < ct->n; i++)
		if (strcmp(ct->v[i].name, "charset") == 0) {
			tp->charset = xstrdup(ct->v[i].value);
			break;
		}
	tp->found = 1;
}

/* A text part that has only blanks is not the one a person wrote in. */
static int
blank_part(const struct mailmime_data *d)
{
	size_t i;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return 1;
	if (d->dt_encoding == MAILMIME_MECHANISM_BASE64)
		return d->dt_data.dt_text.dt_length < 4;
	for (i = 0; i < d->dt_data.dt_text.dt_length; i++) {
		char c = d->dt_data.dt_text.dt_data[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	return 1;
}

static void
keep_returned(struct walk *w, const char *data, size_t len, int encoding)
{
	if (w->det->returned != NULL)
		return;
	w->det->returned = part_decode(data, len, encoding,
	    &w->det->returned_len);
}

static void walk_node(struct walk *w, struct mailmime *m, int depth,
	int nested);

static void
walk_single(struct walk *w, struct mailmime *m, const struct params *ct,
    int nested)
{
	struct params cd;
	char *disp = NULL, *fname;
	int attach;
	const struct mailmime_data *d = m->mm_data.mm_single;

	disp = m->mm_mime_start ? parse__header(m->mm_mime_start,
	    m->mm_length, "Content-Disposition") : NULL;
	params_parse(&cd, disp);
	fname = params_get(&cd, "filename", NULL);
	if (fname == NULL)
		fname = params_get(ct, "name", NULL);
	attach = strcmp(cd.type, "attachment") == 0 ||
	    (fname != NULL && strcmp(cd.type, "inline") != 0);
	if (fname && *fname && w->nnames < PARSE_MAX_ATTACH) {
		w->names = xreallocarray(w->names, w->nnames + 1,
		    sizeof(*w->names));
		w->names[w->nnames++] = fname;
		fname = NULL;
	}
	free(fname);
	free(disp);

	if (strcmp(ct->type, "message/delivery-status") == 0 ||
	    strcmp(ct->type, "message/global-delivery-status") == 0) {
		if (d && d->dt_type == MAILMIME_DATA_TEXT && !w->det->dsn)
			w->det->dsn = part_decode(d->dt_data.dt_text.dt_data,
			    d->dt_data.dt_text.dt_length, d->dt_encoding,
			    &w->det->dsn_len);
	} else if (strcmp(ct->type, "text/rfc822-headers") == 0 ||
	    strcmp(ct->type, "message/rfc822-headers") == 0 ||
	    strcmp(ct->type, "message/rfc822") == 0 ||
	    strcmp(ct->type, "message/global-headers") == 0) {
		if (d && d->dt_type == MAILMIME_DATA_TEXT)
			keep_returned(w, d->dt_data.dt_text.dt_data,
			    d->dt_data.dt_text.dt_length, d->dt_encoding);
	} else if (!attach && (strcmp(ct->type, "text/plain") == 0 ||
	    ct->type[0] == '\0' || strcmp(ct->type, "text") == 0)) {
		if (!blank_part(d))
			text_take(nested ? &w->nplain : &w->plain, d, ct);
	} else if (!attach && strcmp(ct->type, "text/html") == 0) {
		if (!blank_part(d))
			text_take(nested ? &w->nhtml : &w->html, d, ct);
	}
	params_free(&cd);
}

static void
walk_node(struct walk *w, struct mailmime *m, int depth, int nested)
{
	struct params ct;
	char *ctv;
	clistiter *it;

	if (m == NULL)
		return;
	if (depth > PARSE_MAX_DEPTH || ++w->nparts > PARSE_MAX_PARTS) {
		w->broken = 1;
		return;
	}
	ctv = m->mm_mime_start ? parse__header(m->mm_mime_start, m->mm_length,
	    "Content-Type") : NULL;
	params_parse(&ct, ctv);
	free(ctv);

	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		walk_single(w, m, &ct, nested);
		break;
	case MAILMIME_MULTIPLE:
		if (depth <= 1 && strcmp(ct.type, "multipart/report") == 0) {
			char *rt = params_get(&ct, "report-type", NULL);
			w->det->is_report = 1;
			if (rt && w->det->report_type == NULL)
				w->det->report_type = dun_str_lower(rt);
			else
				free(rt);
		}
		if (m->mm_data.mm_multipart.mm_mp_list == NULL)
			break;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it;
		    it = clist_next(it))
			walk_node(w, clist_content(it), depth + 1, nested);
		break;
	case MAILMIME_MESSAGE:
		if (depth > 0) {
			/* An attached message: the returned one of a bounce,
			 * a forward. Its text is a last resort only. */
			if (m->mm_body && m->mm_body->dt_type ==
			    MAILMIME_DATA_TEXT)
				keep_returned(w, m->mm_body->dt_data.dt_text.dt_data,
				    m->mm_body->dt_data.dt_text.dt_length,
				    m->mm_body->dt_encoding);
			walk_node(w, m->mm_data.mm_message.mm_msg_mime,
			    depth + 1, 1);
		} else
			walk_node(w, m->mm_data.mm_message.mm_msg_mime,
			    depth + 1, nested);
		break;
	}
	params_free(&ct);
}

/* --- putting it together ---------------------------------------------- */

/* The charset an HTML part names in its own <meta>, when the header does
 * not: Chinese clients rely on it. */
static char *
html_meta_charset(const char *html, size_t len)
{
	size_t n = len < 4096 ? len : 4096, i;
	char head[4097], *p, *e;

	memcpy(head, html, n);
	head[n] = '\0';
	for (i = 0; i < n; i++)
		if (head[i] == '\0')
			head[i] = ' ';
	if ((p = strcasestr(head, "charset=")) == NULL)
		return NULL;
	p += 8;
	while (*p == '"' || *p == '\'' || *p == ' ')
		p++;
	for (e = p; *e && (isalnum((unsigned char)*e) || *e == '-' ||
	    *e == '_'); e++)
		;
	return e > p ? xstrndup(p, (size_t)(e - p)) : NULL;
}

static char *
text_of(const struct text_part *tp, int html)
{
	char *raw, *utf8, *meta = NULL, *txt;
	size_t rlen, ulen;

	raw = part_decode(tp->body, tp->len, tp->encoding, &rlen);
	if (html && tp->charset == NULL)
		meta = html_meta_charset(raw, rlen);
	utf8 = dun_charset_to_utf8(tp->charset ? tp->charset : meta, raw, rlen,
	    html ? PARSE_HTML_CAP : PARSE_TEXT_CAP, &ulen);
	free(raw);
	free(meta);
	if (!html) {
		/* Lines end in \n only. */
		char *s, *d;
		for (s = d = utf8; *s; s++)
			if (!(*s == '\r' && s[1] == '\n'))
				*d++ = *s == '\r' ? '\n' : *s;
		*d = '\0';
		return utf8;
	}
	txt = dun_html_to_text(utf8, ulen);
	free(utf8);
	return txt;
}

static void
parse_from(struct dun_parsed *p, const char *from, const char *dflcs)
{
	const char *lt = strrchr(from, '<'), *gt;
	char *name, *addr, *t;

	if (lt && (gt = strchr(lt, '>')) != NULL) {
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		name = xstrndup(from, (size_t)(lt - from));
	} else {
		/* addr-spec (comment) */
		const char *c = strchr(from, '(');
		addr = xstrndup(from, c ? (size_t)(c - from) : strlen(from));
		if (c) {
			const char *e = strrchr(c, ')');
			name = xstrndup(c + 1, e ? (size_t)(e - c - 1) :
			    strlen(c + 1));
		} else
			name = xstrdup("");
	}
	t = dun_str_trim(addr);
	if (strpbrk(t, " \t\"") || strchr(t, '@') == NULL)
		t = "";
	free(p->from_addr);
	p->from_addr = dun_str_lower(dun_rfc2047_decode(t, NULL));
	free(addr);

	t = dun_str_trim(name);
	if (*t == '"') {
		size_t l = strlen(t);
		t++;
		if (l >= 2 && t[l - 2] == '"')
			t[l - 2] = '\0';
		{
			/* Unescape quoted-pair. */
			char *s, *d;
			for (s = d = t; *s; s++) {
				if (*s == '\\' && s[1])
					s++;
				*d++ = *s;
			}
			*d = '\0';
		}
	}
	free(p->from_name);
	p->from_name = dun_rfc2047_decode(t, dflcs);
	t = xstrdup(dun_str_trim(p->from_name));
	free(p->from_name);
	p->from_name = t;
	free(name);
}

static char *
hdr_decoded(const char *hdrs, size_t hlen, const char *name,
    const char *dflcs)
{
	char *v = parse__header(hdrs, hlen, name), *d, *t;

	if (v == NULL)
		return xstrdup("");
	d = dun_rfc2047_decode(v, dflcs);
	free(v);
	t = xstrdup(dun_str_trim(d));
	free(d);
	return t;
}

static void
set_error(struct dun_parsed *p, const char *what)
{
	p->parse_error = 1;
	if (p->error[0] == '\0') {
		free(p->error);
		p->error = xstrdup(what);
	}
}

static struct dun_parsed *
parsed_new(void)
{
	struct dun_parsed *p = xcalloc(1, sizeof(*p));

	p->message_id = xstrdup("");
	p->in_reply_to = xstrdup("");
	p->references = xstrdup("");
	p->subject = xstrdup("");
	p->from_addr = xstrdup("");
	p->from_name = xstrdup("");
	p->body_text = xstrdup("");
	p->text = xstrdup("");
	p->bounced_message_id = xstrdup("");
	p->auto_evidence = xstrdup("");
	p->error = xstrdup("");
	p->return_date = DUN_DATE_NONE;
	return p;
}

static void
parse_headers(struct dun_parsed *p, const char *hdrs, size_t hlen,
    const char *dflcs)
{
	char *v;

	if ((v = parse__header(hdrs, hlen, "Message-ID")) != NULL) {
		char *id = msgid_or_bare(v);
		if (id) {
			free(p->message_id);
			p->message_id = id;
		}
		free(v);
	}
	if ((v = parse__header(hdrs, hlen, "In-Reply-To")) != NULL) {
		char *id = msgid_or_bare(v);
		if (id) {
			free(p->in_reply_to);
			p->in_reply_to = id;
		}
		free(v);
	}
	if ((v = parse__header(hdrs, hlen, "References")) != NULL) {
		free(p->references);
		p->references = msgid_list(v);
		free(v);
	}
	free(p->subject);
	p->subject = hdr_decoded(hdrs, hlen, "Subject", dflcs);
	if ((v = parse__header(hdrs, hlen, "From")) != NULL) {
		parse_from(p, v, dflcs);
		free(v);
	}
	if ((v = parse__header(hdrs, hlen, "Date")) != NULL) {
		if (parse__date(v, &p->date, &p->date_offset) < 0) {
			p->date = 0;
			p->date_offset = 0;
		}
		free(v);
	}
}

static void
text_part_clear(struct text_part *tp)
{
	free(tp->charset);
	memset(tp, 0, sizeof(*tp));
}

/*
 * The message with only its MIME header fields (Content-*, MIME-Version)
 * above the body: libetpan then does not parse every RFC 5322 field,
 * which we read from the raw header block anyway (a good share of the
 * parse time). NULL when the header block has a line that is not a
 * header field: then libetpan sees the message as it is.
 */
static char *
mime_only(const char *msg, size_t hlen, size_t mlen, size_t *outlen)
{
	struct dun_buf b;
	size_t i = 0;
	int keep = 0, first = 1;

	dun_buf_init(&b, 0);
	while (i < hlen) {
		const char *line = msg + i, *nl = memchr(line, '\n', hlen - i);
		size_t llen = nl ? (size_t)(nl - line) + 1 : hlen - i, k;
		if (llen == 1 || (llen == 2 && line[0] == '\r'))
			break; /* the blank line */
		if (line[0] == ' ' || line[0] == '\t') {
			if (first) {
				dun_buf_free(&b);
				return NULL;
			}
		} else {
			for (k = 0; k < llen && line[k] > 32 && line[k] < 127 &&
			    line[k] != ':'; k++)
				;
			if (k == 0 || k >= llen || line[k] != ':') {
				dun_buf_free(&b);
				return NULL;
			}
			keep = strncasecmp(line, "Content-", 8) == 0 ||
			    strncasecmp(line, "MIME-Version:", 13) == 0;
		}
		first = 0;
		if (keep)
			dun_buf_add(&b, line, llen);
		i += llen;
	}
	dun_buf_add(&b, msg + i, mlen - i);
	return dun_buf_detach(&b, outlen);
}

int
dun_parse_message(struct dun_parsed **out, const char *data, size_t len,
    const struct dun_parse_opts *opts)
{
	size_t max = opts && opts->max_size ? opts->max_size :
	    PARSE_DEFAULT_MAX, hlen, idx = 0;
	struct dun_parsed *p;
	struct mailmime *mime = NULL;
	struct detect_in det;
	struct walk w;
	struct params topct;
	const char *msg;
	char *copy, *ctv, *dflcs = NULL, *mimemsg;
	const struct text_part *tp = NULL;
	size_t mlen, mimelen = 0;
	int r;

	*out = NULL;
	if (len > max)
		return dun_error_set(DUN_ETOOBIG,
		    "message of %zu bytes is over the %zu byte limit", len,
		    max);
	/* A NUL-terminated copy: every helper may then use string calls. */
	copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	msg = copy;
	mlen = len;
	/* An mbox "From " line is not a header. */
	if (mlen > 5 && strncmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', mlen);
		if (nl) {
			mlen -= (size_t)(nl + 1 - msg);
			msg = nl + 1;
		}
	}

	p = parsed_new();
	memset(&det, 0, sizeof(det));
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.det = &det;
	hlen = parse__header_len(msg, mlen);
	det.hdrs = msg;
	det.hdrs_len = hlen;

	ctv = parse__header(msg, hlen, "Content-Type");
	params_parse(&topct, ctv);
	free(ctv);
	{
		size_t i;
		for (i = 0; i < topct.n; i++)
			if (strcmp(topct.v[i].name, "charset") == 0 &&
			    dflcs == NULL)
				dflcs = xstrdup(topct.v[i].value);
	}

	if ((mimemsg = mime_only(msg, hlen, mlen, &mimelen)) != NULL)
		r = mailmime_parse(mimemsg, mimelen, &idx, &mime);
	else
		r = mailmime_parse(msg, mlen, &idx, &mime);
	if (r != MAILIMF_NO_ERROR || mime == NULL) {
		set_error(p, "the MIME structure could not be parsed");
		mime = NULL;
	} else
		walk_node(&w, mime, 0, 0);
	if (w.broken)
		set_error(p, "the MIME tree is too deep or has too many parts");
	if (dflcs == NULL && w.plain.charset)
		dflcs = xstrdup(w.plain.charset);
	parse_headers(p, msg, hlen, dflcs);

	if (w.plain.found)
		tp = &w.plain;
	else if (w.html.found)
		tp = &w.html, p->html_only = 1;
	else if (w.nplain.found)
		tp = &w.nplain;
	else if (w.nhtml.found)
		tp = &w.nhtml, p->html_only = 1;
	if (tp) {
		free(p->body_text);
		p->body_text = text_of(tp, p->html_only);
	} else if (mime == NULL) {
		/* No structure to speak of: the body as text/plain. */
		struct text_part raw;
		char *cte = parse__header(msg, hlen,
		    "Content-Transfer-Encoding");
		memset(&raw, 0, sizeof(raw));
		raw.body = msg + hlen;
		raw.len = mlen - hlen;
		raw.encoding = MAILMIME_MECHANISM_8BIT;
		if (cte && strcasestr(cte, "base64"))
			raw.encoding = MAILMIME_MECHANISM_BASE64;
		else if (cte && strcasestr(cte, "quoted-printable"))
			raw.encoding = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
		raw.charset = dflcs ? xstrdup(dflcs) : NULL;
		p->html_only = strcmp(topct.type, "text/html") == 0;
		free(p->body_text);
		p->body_text = text_of(&raw, p->html_only);
		text_part_clear(&raw);
		free(cte);
	}
	free(p->text);
	p->text = dun_quote_strip(p->body_text, opts ? opts->reminder_text :
	    NULL);

	p->attachment_names = w.names;
	p->nattachments = w.nnames;
	w.names = NULL;

	dun_detect_run(p, &det);

	text_part_clear(&w.plain);
	text_part_clear(&w.html);
	text_part_clear(&w.nplain);
	text_part_clear(&w.nhtml);
	free(det.report_type);
	free(det.dsn);
	free(det.returned);
	params_free(&topct);
	free(dflcs);
	if (mime)
		mailmime_free(mime);
	free(mimemsg);
	free(copy);
	*out = p;
	return 0;
}

void
dun_parsed_free(struct dun_parsed *msg)
{
	size_t i;

	if (msg == NULL)
		return;
	free(msg->message_id);
	free(msg->in_reply_to);
	free(msg->references);
	free(msg->subject);
	free(msg->from_addr);
	free(msg->from_name);
	free(msg->body_text);
	free(msg->text);
	for (i = 0; i < msg->nbounce_rcpts; i++) {
		free(msg->bounce_rcpts[i].recipient);
		free(msg->bounce_rcpts[i].action);
		free(msg->bounce_rcpts[i].status);
	}
	free(msg->bounce_rcpts);
	free(msg->bounced_message_id);
	free(msg->auto_evidence);
	for (i = 0; i < msg->nattachments; i++)
		free(msg->attachment_names[i]);
	free(msg->attachment_names);
	free(msg->error);
	free(msg);
}

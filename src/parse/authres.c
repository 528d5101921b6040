/*
 * Authentication-Results (RFC 8601): the parser and the check of the
 * receiving server's verdict; see authres.h. Everything here reads
 * hostile bytes: every copy is bounded and a malformed piece is skipped.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dunmail/core/common.h"
#include "dunmail/parse/authres.h"
#include "parse_internal.h"

/* Headers looked at before giving up, and the bytes of one. */
#define MAX_HEADERS 64
#define MAX_HEADER_BYTES 8192

/* Skips white space, line breaks and comments (nested, with quoted
 * pairs). An unclosed comment runs to the end. */
static void
skip_cfws(const char **pp)
{
	const char *p = *pp;
	int depth;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			break;
		for (depth = 0; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
	*pp = p;
}

/*
 * Reads a token or a quoted string into out (truncated to cap - 1 bytes,
 * lowercased if lower). A token ends at white space, a comment, a quote,
 * ';' or any character of stop. Returns the length read (0: nothing).
 */
static size_t
read_word(const char **pp, char *out, size_t cap, const char *stop,
    int lower)
{
	const char *p = *pp;
	size_t n = 0, len = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++, len++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < cap)
				out[n++] = lower ? (char)tolower((unsigned char)*p)
				    : *p;
		}
		if (*p == '"')
			p++;
		len++; /* "" is a value, if an empty one */
	} else {
		for (; *p && !strchr(" \t\r\n(\";", *p) && !strchr(stop, *p);
		    p++, len++)
			if (n + 1 < cap)
				out[n++] = lower ? (char)tolower((unsigned char)*p)
				    : *p;
	}
	if (cap)
		out[n] = '\0';
	*pp = p;
	return len;
}

/* Past the next ';' outside quotes and comments, or to the end. */
static void
skip_to_semicolon(const char **pp)
{
	const char *p = *pp;
	char junk[2];

	while (*p && *p != ';') {
		skip_cfws(&p);
		if (*p == ';' || *p == '\0')
			break;
		if (read_word(&p, junk, sizeof(junk), "=./", 0) == 0)
			p++; /* '=', '.', '/' or a stray byte */
	}
	*pp = p;
}

/* One propspec's value kept where dunmail reads it. */
static void
keep_property(struct dun_authres_result *r, const char *ptype,
    const char *property, const char *value)
{
	char *dst = NULL;

	if (strcmp(ptype, "header") == 0 && strcmp(property, "d") == 0)
		dst = r->header_d;
	else if (strcmp(ptype, "header") == 0 &&
	    strcmp(property, "from") == 0)
		dst = r->header_from;
	else if (strcmp(ptype, "smtp") == 0 &&
	    strcmp(property, "mailfrom") == 0)
		dst = r->smtp_mailfrom;
	if (dst && *dst == '\0')
		snprintf(dst, sizeof(r->header_d), "%s", value);
}

/* methodspec [reasonspec] *propspec, after the ';'. 0, or -1 to skip. */
static int
parse_resinfo(const char **pp, struct dun_authres_result *r)
{
	const char *p = *pp;
	char ptype[32], property[32], value[256], version[16];

	memset(r, 0, sizeof(*r));
	skip_cfws(&p);
	if (read_word(&p, r->method, sizeof(r->method), "=/.", 1) == 0)
		goto bad;
	skip_cfws(&p);
	if (strcmp(r->method, "none") == 0 && (*p == '\0' || *p == ';')) {
		*pp = p;                 /* no-result: "; none" */
		return 0;
	}
	if (*p == '/') {             /* method-version */
		p++;
		skip_cfws(&p);
		read_word(&p, version, sizeof(version), "=/.", 0);
		skip_cfws(&p);
	}
	if (*p != '=')
		goto bad;
	p++;
	skip_cfws(&p);
	if (read_word(&p, r->result, sizeof(r->result), "=/.", 1) == 0)
		goto bad;
	for (;;) {
		skip_cfws(&p);
		if (*p == '\0' || *p == ';')
			break;
		if (read_word(&p, ptype, sizeof(ptype), "=.", 1) == 0)
			goto bad;
		skip_cfws(&p);
		property[0] = '\0';
		if (*p == '.') {
			p++;
			skip_cfws(&p);
			read_word(&p, property, sizeof(property), "=.", 1);
			skip_cfws(&p);
		}
		if (*p != '=')
			goto bad;
		p++;
		skip_cfws(&p);
		/* A value may hold '.', '@', '/' and '=' (base64). */
		read_word(&p, value, sizeof(value), "", 1);
		if (property[0])
			keep_property(r, ptype, property, value);
		/* else reasonspec ("reason=...") or junk: nothing kept */
	}
	*pp = p;
	return 0;
bad:
	skip_to_semicolon(&p);
	*pp = p;
	return -1;
}

int
dun_authres_parse(struct dun_authres *out, const char *value)
{
	const char *p = value ? value : "";
	char version[16];

	memset(out, 0, sizeof(*out));
	skip_cfws(&p);
	if (read_word(&p, out->authserv_id, sizeof(out->authserv_id), "", 0)
	    == 0 || out->authserv_id[0] == '\0')
		return dun_error_set(DUN_EPARSE, "Authentication-Results "
		    "without an authserv-id");
	skip_cfws(&p);
	if (isdigit((unsigned char)*p))   /* authres-version */
		read_word(&p, version, sizeof(version), "", 0);
	for (;;) {
		struct dun_authres_result r;

		skip_cfws(&p);
		if (*p == '\0')
			break;
		if (*p != ';') {          /* junk where a ';' belongs */
			skip_to_semicolon(&p);
			continue;
		}
		p++;
		if (parse_resinfo(&p, &r) < 0)
			continue;
		if (strcmp(r.method, "none") == 0 && r.result[0] == '\0') {
			out->none = 1;
			continue;
		}
		if (out->nresults < DUN_AUTHRES_MAX)
			out->results[out->nresults++] = r;
	}
	return 0;
}

/* The domain of an address (after its last '@'), or the text itself. */
static const char *
domain_of(const char *s)
{
	const char *at = s ? strrchr(s, '@') : NULL;

	return at ? at + 1 : s ? s : "";
}

/* 1 if sub is a subdomain of dom ("a.b.test" of "b.test"). */
static int
subdomain(const char *sub, size_t nsub, const char *dom, size_t ndom)
{
	return nsub > ndom + 1 && sub[nsub - ndom - 1] == '.' &&
	    strncasecmp(sub + nsub - ndom, dom, ndom) == 0 &&
	    memchr(dom, '.', ndom) != NULL;
}

int
dun_authres_aligned(const char *a, const char *b)
{
	size_t na, nb;

	a = domain_of(a);
	b = domain_of(b);
	na = strlen(a);
	nb = strlen(b);
	while (na && a[na - 1] == '.')
		na--;
	while (nb && b[nb - 1] == '.')
		nb--;
	if (na == 0 || nb == 0)
		return 0;
	if (na == nb)
		return strncasecmp(a, b, na) == 0;
	return subdomain(a, na, b, nb) || subdomain(b, nb, a, na);
}

/* The topmost Authentication-Results of authserv_id in the header block,
 * unfolded into keep: 1, or 2 when it is not written the way a receiving
 * server writes it; 0 if there is none. */
static int
find_header(const char *raw, size_t len, const char *authserv_id,
    struct dun_authres *res, char *keep, size_t keep_cap)
{
	static const char name[] = "Authentication-Results";
	char out[MAX_HEADER_BYTES + 1];
	size_t nlen = sizeof(name) - 1, i = 0, hlen, cap = sizeof(out), idlen;
	int seen = 0, plain_name;

	hlen = parse__header_len(raw, len);
	while (i < hlen && seen < MAX_HEADERS) {
		const char *line = raw + i;
		const char *nl = memchr(line, '\n', hlen - i);
		size_t llen = nl ? (size_t)(nl - line) : hlen - i, j, n;

		i += llen + (nl ? 1 : 0);
		if (llen <= nlen || strncasecmp(line, name, nlen) != 0)
			continue;
		for (j = nlen; j < llen && (line[j] == ' ' || line[j] == '\t');
		    j++)
			;
		if (j >= llen || line[j] != ':')
			continue;
		plain_name = j == nlen;
		seen++;
		/* The value with its continuation lines, each line break
		 * made a space; control bytes too, and anything not ASCII
		 * is '?' (it goes into the trail's JSON as read). */
		n = 0;
		for (j++;;) {
			if (llen > 0 && line[llen - 1] == '\r')
				llen--;
			for (; j < llen && n + 1 < cap; j++) {
				unsigned char c = (unsigned char)line[j];
				if (n == 0 && (c == ' ' || c == '\t'))
					continue;
				out[n++] = c < 0x20 ? ' ' : c >= 0x7f ? '?' :
				    (char)c;
			}
			/* A continuation line starts with its own WSP. */
			if (i >= hlen || (raw[i] != ' ' && raw[i] != '\t'))
				break;
			line = raw + i;
			nl = memchr(line, '\n', hlen - i);
			llen = nl ? (size_t)(nl - line) : hlen - i;
			i += llen + (nl ? 1 : 0);
			j = 0;
		}
		out[n] = '\0';
		if (dun_authres_parse(res, out) == 0 &&
		    strcasecmp(res->authserv_id, authserv_id) == 0) {
			snprintf(keep, keep_cap, "%s", out);
			/*
			 * The receiving server writes "Name: id;" plainly. A
			 * header naming our id any other way (a comment or
			 * quotes around the id, a space before the colon) is
			 * one a filter that strips forged copies by pattern
			 * may have missed: never a pass.
			 */
			idlen = strlen(authserv_id);
			if (!plain_name || strncasecmp(out, authserv_id,
			    idlen) != 0 || (out[idlen] != ';' &&
			    out[idlen] != ' ' && out[idlen] != '\t'))
				return 2;
			return 1;
		}
	}
	keep[0] = '\0';
	return 0;
}

void
dun_authres_check(struct dun_auth_check *out, const char *raw, size_t len,
    const char *authserv_id, const char *from_addr)
{
	struct dun_authres res;
	char seen[120];
	size_t i, n = 0;
	int pref;
	const char *from = domain_of(from_addr);

	memset(out, 0, sizeof(*out));
	if (raw == NULL || authserv_id == NULL || *authserv_id == '\0') {
		snprintf(out->verdict, sizeof(out->verdict), "no authserv_id "
		    "configured");
		return;
	}
	switch (find_header(raw, len, authserv_id, &res, out->header,
	    sizeof(out->header))) {
	case 0:
		snprintf(out->verdict, sizeof(out->verdict), "no "
		    "Authentication-Results from %.100s", authserv_id);
		return;
	case 2:
		out->found = 1;
		snprintf(out->verdict, sizeof(out->verdict), "the topmost "
		    "Authentication-Results naming %.100s is not written as a "
		    "receiving server writes it (a comment or quotes around "
		    "the id, or a space before the colon): taken as forged",
		    authserv_id);
		return;
	}
	out->found = 1;
	seen[0] = '\0';
	/* dmarc=pass first, then aligned dkim, then aligned spf: the
	 * verdict names the strongest reason. */
	for (pref = 0; pref < 3 && !out->authenticated; pref++)
	for (i = 0; i < res.nresults && !out->authenticated; i++) {
		const struct dun_authres_result *r = &res.results[i];

		if (pref == 0 && n < sizeof(seen))
			n += (size_t)snprintf(seen + n, sizeof(seen) - n,
			    "%s%s=%s", n ? " " : "", r->method, r->result);
		if (strcmp(r->result, "pass") != 0)
			continue;
		if (pref == 0 && strcmp(r->method, "dmarc") == 0) {
			/* The MTA checked the From it saw; a header.from it
			 * names must be the one we read. */
			if (r->header_from[0] && *from &&
			    strcasecmp(domain_of(r->header_from), from) != 0)
				continue;
			out->authenticated = 1;
			snprintf(out->verdict, sizeof(out->verdict),
			    "dmarc=pass");
		} else if (pref == 1 && strcmp(r->method, "dkim") == 0 &&
		    dun_authres_aligned(r->header_d, from)) {
			out->authenticated = 1;
			snprintf(out->verdict, sizeof(out->verdict), "dkim=pass "
			    "header.d=%.80s aligned with %.80s", r->header_d,
			    from);
		} else if (pref == 2 && strcmp(r->method, "spf") == 0 &&
		    dun_authres_aligned(r->smtp_mailfrom, from)) {
			out->authenticated = 1;
			snprintf(out->verdict, sizeof(out->verdict), "spf=pass "
			    "smtp.mailfrom=%.80s aligned with %.80s",
			    domain_of(r->smtp_mailfrom), from);
		}
	}
	if (!out->authenticated)
		snprintf(out->verdict, sizeof(out->verdict), "not authenticated "
		    "for %.60s by %.60s (%.60s): no dmarc=pass for that From "
		    "domain, no aligned dkim=pass or spf=pass", *from ? from :
		    "(no From)", authserv_id, res.none ? "none" : *seen ? seen :
		    "no results");
}

int
dun_authres_from_ambiguous(const char *raw, size_t len)
{
	static const char name[] = "From";
	size_t nlen = sizeof(name) - 1, i = 0, hlen, j;
	int froms = 0, ats = 0, depth = 0, quoted = 0, in_from = 0;

	hlen = parse__header_len(raw, len);
	while (i < hlen) {
		const char *line = raw + i;
		const char *nl = memchr(line, '\n', hlen - i);
		size_t llen = nl ? (size_t)(nl - line) : hlen - i;

		i += llen + (nl ? 1 : 0);
		if (llen > 0 && (line[0] == ' ' || line[0] == '\t')) {
			j = 0;          /* a continuation of the last header */
		} else {
			in_from = 0;
			if (llen <= nlen || strncasecmp(line, name, nlen) != 0)
				continue;
			for (j = nlen; j < llen && (line[j] == ' ' ||
			    line[j] == '\t'); j++)
				;
			if (j >= llen || line[j] != ':')
				continue;
			if (++froms > 1)
				return 1;
			in_from = 1;
			depth = quoted = 0;
			j++;
		}
		if (!in_from)
			continue;
		/* An @ outside quotes and comments starts a mailbox. */
		for (; j < llen; j++) {
			char c = line[j];
			if (quoted) {
				if (c == '\\' && j + 1 < llen)
					j++;
				else if (c == '"')
					quoted = 0;
			} else if (c == '"' && depth == 0) {
				quoted = 1;
			} else if (c == '(') {
				depth++;
			} else if (c == ')' && depth > 0) {
				depth--;
			} else if (c == '\\' && depth > 0 && j + 1 < llen) {
				j++;
			} else if (c == '@' && depth == 0 && ++ats > 1) {
				return 1;
			}
		}
	}
	return 0;
}

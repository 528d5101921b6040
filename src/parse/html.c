/*
 * HTML to text with gumbo: block elements make lines, <br> a newline,
 * script/style/head are dropped, entities come decoded from gumbo.
 * Quoted originals are kept but marked "> " line by line, so that the
 * quote stripper removes them and body_text still shows all of a reply.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gumbo.h>

#include "dunmail/core/common.h"
#include "parse_internal.h"

#define HTML_MAX_DEPTH 4096

static const char *const dropped_tags[] = {
	"script", "style", "head", "title", "template", "noscript", "iframe",
	"object", "svg", "math", "select", "button",
};

static const char *const block_tags[] = {
	"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
	"ul", "ol", "pre", "blockquote", "hr", "section", "article", "header",
	"footer", "dl", "dt", "dd", "form", "address", "center", "fieldset",
	"main", "nav", "figure", "figcaption", "caption", "body", "html",
	"tbody", "thead", "tfoot", "aside", "details", "summary", "legend",
};

/* Class names of the quoted original in the clients that mark it. */
static const char *const quote_classes[] = {
	"gmail_quote", "gmail_extra", "yahoo_quoted", "moz-cite-prefix",
	"protonmail_quote", "zmail_extra", "gmail_attr", "ydp_quoted",
	"outlookmessageheader", "mailquote",
};

/* Ids that start the quoted original: it and all after it are quoted. */
static const char *const after_ids[] = {
	"divrplyfwdmsg", "appendonsend", "outlookmessageheader",
	"original-content", "reply-content-quote",
};

struct html_out {
	struct dun_buf b;
	int line_start;
	int space;      /* a blank is pending before the next text */
	int quote;      /* depth of quote elements around us */
	int after;      /* past the start of a quoted original */
	int pre;
};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Lowercase copy without blanks, for matching style and class values. */
static void
squash(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < outlen; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		out[o++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') :
		    *s;
	}
	out[o] = '\0';
}

static int
class_quoted(const char *cls)
{
	char low[512];
	size_t i;

	squash(low, sizeof(low), cls);
	for (i = 0; i < DUN_ARRAY_SIZE(quote_classes); i++)
		if (strstr(low, quote_classes[i]))
			return 1;
	return 0;
}

static int
starts_original(const GumboElement *el)
{
	GumboAttribute *a;
	char low[512];
	size_t i;

	if ((a = gumbo_get_attribute(&el->attributes, "id")) != NULL) {
		squash(low, sizeof(low), a->value);
		for (i = 0; i < DUN_ARRAY_SIZE(after_ids); i++)
			if (strstr(low, after_ids[i]))
				return 1;
	}
	if (el->tag == GUMBO_TAG_DIV &&
	    (a = gumbo_get_attribute(&el->attributes, "style")) != NULL) {
		/* Outlook's and Foxmail's header block above the original. */
		squash(low, sizeof(low), a->value);
		if (strstr(low, "border-top:solid#e1e1e1") ||
		    strstr(low, "border-top:solid#b5c4df") ||
		    strstr(low, "border-top:#b5c4df") ||
		    strstr(low, "border-top:#e1e1e1"))
			return 1;
	}
	return 0;
}

static int
hidden(const GumboElement *el)
{
	GumboAttribute *a = gumbo_get_attribute(&el->attributes, "style");
	char low[512];

	if (a == NULL)
		return 0;
	squash(low, sizeof(low), a->value);
	return strstr(low, "display:none") != NULL;
}

static void
out_newline(struct html_out *o, int hard)
{
	if (!hard && o->line_start)
		return;
	dun_buf_add(&o->b, "\n", 1);
	o->line_start = 1;
	o->space = 0;
}

/* A blank at p: ASCII white space or U+00A0 no-break space. */
static int
blank_at(const unsigned char *p)
{
	return *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
	    *p == '\f' || (p[0] == 0xc2 && p[1] == 0xa0);
}

static void
out_text(struct html_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *q;

	/* QQ mail and Foxmail mark the original with a text line only. */
	if (!o->after && strstr(s, "------") && (strstr(s, "原始邮件") ||
	    strstr(s, "原始郵件") || strcasestr(s, "Original")))
		o->after = 1;
	for (; *p; p++) {
		int blank = *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r' || *p == '\f';
		/* U+00A0 no-break space counts as a blank. */
		if (p[0] == 0xc2 && p[1] == 0xa0) {
			blank = 1;
			p++;
		}
		if (o->pre && (*p == '\n')) {
			out_newline(o, 1);
			continue;
		}
		if (blank) {
			if (!o->line_start)
				o->space = 1;
			continue;
		}
		if (o->line_start) {
			if (o->quote || o->after)
				dun_buf_add(&o->b, "> ", 2);
			o->line_start = 0;
		} else if (o->space)
			dun_buf_add(&o->b, " ", 1);
		o->space = 0;
		/* the rest of the word goes in at once */
		for (q = p + 1; *q && !blank_at(q); q++)
			;
		dun_buf_add(&o->b, p, (size_t)(q - p));
		p = q - 1;
	}
}

struct frame {
	const GumboNode *node;
	unsigned int next;   /* next child to visit */
	int quoted;          /* this element raised o->quote */
	int block;
	int pre;
};

/* Iterative, so that deeply nested markup cannot exhaust the stack. */
static void
render(struct html_out *o, const GumboNode *root)
{
	/* grown on demand: most mail nests a few levels, not 4096 */
	size_t cap = 64, depth = 0;
	struct frame *st = xcalloc(cap, sizeof(*st));

	st[0].node = root;
	depth = 1;
	while (depth > 0) {
		struct frame *f = &st[depth - 1];
		const GumboNode *n = f->node;
		const GumboVector *kids = NULL;

		if (n->type == GUMBO_NODE_ELEMENT ||
		    n->type == GUMBO_NODE_TEMPLATE)
			kids = &n->v.element.children;
		else if (n->type == GUMBO_NODE_DOCUMENT)
			kids = &n->v.document.children;
		if (kids && f->next < kids->length && depth < HTML_MAX_DEPTH) {
			const GumboNode *c = kids->data[f->next++];
			struct frame *cf;
			const char *tag;

			if (c->type == GUMBO_NODE_TEXT ||
			    c->type == GUMBO_NODE_CDATA) {
				out_text(o, c->v.text.text);
				continue;
			}
			if (c->type == GUMBO_NODE_WHITESPACE) {
				if (o->pre)
					out_text(o, c->v.text.text);
				else if (!o->line_start)
					o->space = 1;
				continue;
			}
			if (c->type != GUMBO_NODE_ELEMENT)
				continue;
			tag = gumbo_normalized_tagname(c->v.element.tag);
			if (in_list(tag, dropped_tags,
			    DUN_ARRAY_SIZE(dropped_tags)) ||
			    hidden(&c->v.element))
				continue;
			if (c->v.element.tag == GUMBO_TAG_BR) {
				out_newline(o, 1);
				continue;
			}
			if (c->v.element.tag == GUMBO_TAG_TD ||
			    c->v.element.tag == GUMBO_TAG_TH)
				o->space = !o->line_start;
			if (depth == cap) {
				cap *= 2;
				st = xreallocarray(st, cap, sizeof(*st));
			}
			cf = &st[depth++];
			memset(cf, 0, sizeof(*cf));
			cf->node = c;
			cf->block = in_list(tag, block_tags,
			    DUN_ARRAY_SIZE(block_tags));
			if (cf->block)
				out_newline(o, 0);
			if (starts_original(&c->v.element))
				o->after = 1;
			if (c->v.element.tag == GUMBO_TAG_BLOCKQUOTE) {
				cf->quoted = 1;
			} else {
				GumboAttribute *a = gumbo_get_attribute(
				    &c->v.element.attributes, "class");
				if (a && class_quoted(a->value))
					cf->quoted = 1;
			}
			if (cf->quoted)
				o->quote++;
			if (c->v.element.tag == GUMBO_TAG_PRE) {
				cf->pre = 1;
				o->pre++;
			}
			continue;
		}
		/* Leaving f. */
		if (f->quoted)
			o->quote--;
		if (f->pre)
			o->pre--;
		if (f->block)
			out_newline(o, 0);
		depth--;
	}
	free(st);
}

/* Trailing blanks off every line, at most one empty line in a row, none
 * at either end. */
static char *
tidy(const char *s)
{
	struct dun_buf b;
	const char *line = s, *nl, *end;
	int blanks = 0, any = 0;

	dun_buf_init(&b, 0);
	while (*line) {
		nl = strchr(line, '\n');
		end = nl ? nl : line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == line || (end - line == 1 && *line == '>'))
			blanks++;
		else {
			if (any && blanks)
				dun_buf_add(&b, "\n", 1);
			dun_buf_add(&b, line, (size_t)(end - line));
			dun_buf_add(&b, "\n", 1);
			any = 1;
			blanks = 0;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return dun_buf_detach(&b, NULL);
}

char *
dun_html_to_text(const char *html, size_t len)
{
	GumboOptions opts = kGumboDefaultOptions;
	GumboOutput *g;
	struct html_out o;
	char *txt;

	if (len > PARSE_HTML_CAP)
		len = PARSE_HTML_CAP;
	opts.max_errors = 0;
	memset(&o, 0, sizeof(o));
	dun_buf_init(&o.b, PARSE_TEXT_CAP);
	o.line_start = 1;
	g = gumbo_parse_with_options(&opts, html, len);
	if (g == NULL)
		return xstrdup("");
	render(&o, g->document);
	gumbo_destroy_output(&opts, g);
	txt = tidy(o.b.data ? o.b.data : "");
	dun_buf_free(&o.b);
	return txt;
}

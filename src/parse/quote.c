/*
 * The debtor's own words: quoted originals ("On ... wrote:", "> " lines,
 * Outlook and Chinese clients' header blocks and separators), forwarded
 * headers, signatures and confidentiality disclaimers removed, and any
 * line of the reminder itself. Line-based, with PCRE2 under match and
 * depth limits; text after a "> " quote (bottom posting) is kept.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/parse/parse.h"
#include "parse_internal.h"
#include "dunmail/core/prefilter.h"

/* Lines longer than this are prose, never a marker we look for. */
#define QUOTE_LINE_MAX 1024
/* Reminder lines shorter than this ("Thanks,") are not a sure sign. */
#define QUOTE_GUARD_MIN 10

enum {
	RE_ATTRIB,      /* a whole attribution line */
	RE_ATTRIB_OPEN, /* how a split attribution starts */
	RE_ATTRIB_LEAD, /* the same without the address branch */
	RE_WROTE,       /* "... wrote:" when a quote follows */
	RE_FROM,        /* first field of a header block */
	RE_FIELD,       /* other fields of a header block */
	RE_SEPARATOR,   /* "-----Original Message-----" and kin */
	RE_FORWARD,     /* forwarded message markers */
	RE_SIGNATURE,   /* "-- ", "Sent from my iPhone", ... */
	RE_DISCLAIMER,  /* confidentiality notices */
	RE_COUNT
};

/* The branches of RE_ATTRIB_OPEN that start after the leading blanks. */
#define ATTRIB_LEAD \
	"^\\s*(?:(?:On|Le|Am|El|Il|Op|Em|Den)\\s|在|於|于|\\d{4}[-/]" \
	"|\\d{1,2}[./]\\d{1,2}[./]\\d{2,4}\\s"

static const char *const patterns[RE_COUNT] = {
	[RE_ATTRIB] =
	    "^\\s*(?:(?:On|Le|Am|El|Il|Op|Em|Den|W dniu|Dne)\\s.{0,300}?"
	    "(?:wrote|a\\s+écrit|escribió|escribio|ha\\s+scritto|schreef|"
	    "escreveu|skrev|napisał|napsal|написал)\\s*:"
	    "|Am\\s.{0,300}?schrieb.{0,200}:"
	    "|(?:在|於|于).{0,300}(?:写道|寫道|寫到|写到)\\s*[:：]?"
	    "|.{0,300}(?:写道|寫道)\\s*[:：]"
	    "|.{0,300}\\d.{0,300}\\bwrote\\s*:"
	    "|.{0,300}@.{0,300}(?:\\bwrote|написал|napisał|schrieb|"
	    "a\\s+écrit)\\s*:"
	    "|\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}.{0,120}<[^<>\\s]+@[^<>\\s]+>"
	    "\\s*:)\\s*$",
	[RE_ATTRIB_OPEN] = ATTRIB_LEAD
	    "|.{1,200}<?[^<>\\s]+@[^<>\\s]+>?\\s*$)",
	[RE_ATTRIB_LEAD] = ATTRIB_LEAD ")",
	[RE_WROTE] =
	    "^.{0,300}(?:\\b(?:wrote|writes|schrieb|a\\s+écrit)|"
	    "<[^<>\\s]+@[^<>\\s]+>)\\s*:\\s*$",
	[RE_FROM] =
	    "^\\s*\\*?\\s*(?:From|发件人|發件人|寄件者|寄件人|De|Von|Van|Da|"
	    "Od|От)\\s*\\*?\\s*[:：]",
	[RE_FIELD] =
	    "^\\s*\\*?\\s*(?:Sent|Date|To|Subject|Cc|Bcc|Reply-To|"
	    "发送时间|發送時間|时间|時間|日期|收件人|主题|主題|抄送|"
	    "寄件日期|收件者|主旨|副本|Envoyé|À|Objet|Gesendet|An|Betreff|"
	    "Enviado|Para|Asunto|Inviato|A|Oggetto|Verzonden|Aan|"
	    "Onderwerp|Отправлено|Кому|Тема)\\s*\\*?\\s*[:：]",
	[RE_SEPARATOR] =
	    "^\\s*-{2,}(?:\\s|&nbsp;)*(?:Original(?:\\s+Message)?|"
	    "Reply\\s+message|原始邮件|原始郵件|邮件原件|郵件原件|原邮件|"
	    "原郵件|回复的原邮件|Ursprüngliche\\s+Nachricht|"
	    "Message\\s+d'origine|Mensaje\\s+original|Messaggio\\s+originale|"
	    "Oorspronkelijk\\s+bericht)(?:\\s|&nbsp;)*-{2,}\\s*$"
	    "|^\\s*_{8,}\\s*$",
	[RE_FORWARD] =
	    "^\\s*(?:-{2,}\\s*(?:Forwarded\\s+message|Forwarded\\s+Message|"
	    "转发的邮件|轉寄的郵件|转发邮件信息|轉寄郵件|"
	    "Weitergeleitete\\s+Nachricht|Message\\s+transféré|"
	    "Mensaje\\s+reenviado)\\s*-{2,}"
	    "|Begin\\s+forwarded\\s+message\\s*:|开始转发的邮件\\s*[:：]|"
	    "以下是转发的邮件\\s*[:：]?)\\s*$",
	[RE_SIGNATURE] =
	    "^(?:--\\s?"
	    "|\\s*(?:Sent\\s+from\\s+my\\s+[\\w\\s'-]{1,40}\\.?"
	    "|Sent\\s+from\\s+(?:Mail|Outlook|Yahoo\\s+Mail|Samsung|"
	    "my\\s+mobile|WPS\\s+Mail)[\\w\\s'-]{0,40}\\.?"
	    "|Sent\\s+(?:with|via)\\s+[\\w\\s.()/:?=-]{1,60}"
	    "|Get\\s+Outlook\\s+for\\s+(?:iOS|Android)[\\w\\s]{0,10}"
	    "|Envoyé\\s+de\\s+mon\\s+[\\w\\s]{1,30}"
	    "|Von\\s+meinem\\s+[\\w\\s]{1,40}\\s+gesendet\\.?"
	    "|(?:发自|發自|来自|來自|發送自)我的[\\w\\s]{0,20}"
	    "|从我的[\\w\\s]{0,20}发送|從我的[\\w\\s]{0,20}傳送"
	    "|发自(?:网易邮箱|手机|Foxmail|QQ邮箱|移动)[\\w\\s]{0,20}"
	    "))\\s*$",
	[RE_DISCLAIMER] =
	    "^\\s*(?:This\\s+(?:e-?mail|message|communication|transmission)"
	    "(?:\\s+message)?(?:\\s+\\(including[^)]{0,60}\\))?"
	    "(?:\\s+(?:and|including)\\s+(?:any|all|its)\\s+"
	    "(?:files|attachments?|documents)[^.]{0,60}?)?"
	    "\\s+(?:is|are|may\\s+be|contains?|may\\s+contain|is\\s+intended)"
	    "\\b.{0,120}?(?:confidential|privileged|intended|proprietary)"
	    "|CONFIDENTIALITY(?:\\s+(?:NOTICE|NOTE|STATEMENT|WARNING))?\\b"
	    "|DISCLAIMER\\b|IMPORTANT\\s+NOTICE\\b"
	    "|The\\s+information\\s+(?:contained\\s+)?in\\s+this\\s+"
	    "(?:e-?mail|message|communication)"
	    "|本邮件及其附件|本郵件及其附件|此电子邮件|此電子郵件|本电子邮件|"
	    "本電子郵件|免责声明|免責聲明|保密声明|保密聲明|机密声明|"
	    "本邮件包含|本邮件可能包含|此邮件及其附件|此郵件及其附件)",
};

static pcre2_code *regex[RE_COUNT];
static pcre2_match_context *mctx;
static pcre2_match_data *mdata;
static int regex_ready;
/* Most lines hold none of the words a pattern needs: the prefilter says
 * so from one pass over the line, for all patterns at once. */
static struct dun_prefilter *filter;
static int filter_cond[RE_COUNT];
static struct dun_prefilter_hits line_hits; /* of the line below */
static const char *line_s;
static size_t line_len;

static void
regex_init(void)
{
	PCRE2_SIZE erroff;
	int i, err;

	if (regex_ready)
		return;
	for (i = 0; i < RE_COUNT; i++) {
		uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS;

		regex[i] = pcre2_compile((PCRE2_SPTR)patterns[i],
		    PCRE2_ZERO_TERMINATED, flags, &err,
		    &erroff, NULL);
		if (regex[i] == NULL) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(err, msg, sizeof(msg));
			fatalx("quote pattern %d at %zu: %s", i, (size_t)erroff,
			    (char *)msg);
		}
		pcre2_jit_compile(regex[i], PCRE2_JIT_COMPLETE);
	}
	filter = dun_prefilter_new();
	for (i = 0; i < RE_COUNT; i++)
		filter_cond[i] = dun_prefilter_add(filter, patterns[i],
		    strlen(patterns[i]), DUN_PF_CASELESS);
	dun_prefilter_build(filter);
	dun_prefilter_hits_init(&line_hits, filter);
	mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mctx, 100000);
	pcre2_set_depth_limit(mctx, 1000);
	mdata = pcre2_match_data_create(4, NULL);
	regex_ready = 1;
}

/*
 * Lines are valid UTF-8 (the input is sanitised first). A line of the
 * text (s inside it) is scanned for literals once, whatever the number
 * of patterns tried on it; a joined line (fresh) is scanned each time.
 */
static int
re_match_scan(int which, const char *s, size_t len, int fresh)
{
	if (len > QUOTE_LINE_MAX)
		return 0;
	if (fresh || s != line_s || len != line_len) {
		dun_prefilter_scan(filter, &line_hits, s, len);
		line_s = fresh ? NULL : s;
		line_len = len;
	}
	if (!dun_prefilter_may_match(filter, &line_hits, filter_cond[which]))
		return 0;
	return pcre2_match(regex[which], (PCRE2_SPTR)s, len, 0,
	    PCRE2_NO_UTF_CHECK, mdata, mctx) >= 0;
}

static int
re_match(int which, const char *s, size_t len)
{
	return re_match_scan(which, s, len, 0);
}

struct line {
	const char *s;
	size_t len;
};

static int
blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	return 1;
}

static int
quoted(const struct line *l)
{
	size_t i = 0;

	while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i < l->len && l->s[i] == '>';
}

/* A line of dashes only, as Outlook puts above its header block. */
static int
dashes(const struct line *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->len; i++) {
		if (l->s[i] == '-')
			n++;
		else if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	}
	return n >= 10;
}

/* Whitespace runs to one blank, trimmed, into out. */
static void
normalise(struct dun_buf *out, const char *s, size_t len)
{
	size_t i;
	int space = 0;

	dun_buf_clear(out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = out->len > 0;
			continue;
		}
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] == 0xa0) {
			i++;
			space = out->len > 0;
			continue;
		}
		if (space)
			dun_buf_add(out, " ", 1);
		space = 0;
		dun_buf_add(out, s + i, 1);
	}
	if (out->data == NULL)
		dun_buf_add(out, "", 0);
}

/* The next non-blank line from i, or n. */
static size_t
next_text(const struct line *v, size_t n, size_t i)
{
	while (i < n && blank(&v[i]))
		i++;
	return i;
}

/*
 * RE_ATTRIB_OPEN, for less: its last branch, which needs an '@', is the
 * costly one (it backtracks over the whole line); the other branches can
 * only match right after the leading blanks, which is where the pattern
 * tries them first, so RE_ATTRIB_LEAD alone finds the same lines.
 */
static int
attrib_open(const struct line *l)
{
	if (re_match(RE_ATTRIB_LEAD, l->s, l->len))
		return 1;
	return memchr(l->s, '@', l->len) != NULL &&
	    re_match(RE_ATTRIB_OPEN, l->s, l->len);
}

/* Lines taken by an attribution starting at i (1..3), or 0. */
static size_t
attribution(const struct line *v, size_t n, size_t i, struct dun_buf *tmp)
{
	size_t k, j;

	if (re_match(RE_ATTRIB, v[i].s, v[i].len))
		return 1;
	if (!attrib_open(&v[i]))
		return 0;
	/* Split over two or three lines by a client's line wrap. */
	dun_buf_clear(tmp);
	dun_buf_add(tmp, v[i].s, v[i].len);
	for (k = 1, j = i + 1; k < 3 && j < n && !blank(&v[j]); k++, j++) {
		dun_buf_add(tmp, " ", 1);
		dun_buf_add(tmp, v[j].s, v[j].len);
		if (re_match_scan(RE_ATTRIB, tmp->data, tmp->len, 1))
			return k + 1;
	}
	return 0;
}

/* An Outlook-style header block: From: then other fields close by. */
static int
header_block(const struct line *v, size_t n, size_t i)
{
	size_t j, seen = 0, fields = 0, need;

	/* From: and one more field; or three fields (Hotmail starts with
	 * Date:), so that a debtor's "Date: ..." line is not a block. */
	if (re_match(RE_FROM, v[i].s, v[i].len))
		need = 1;
	else if (re_match(RE_FIELD, v[i].s, v[i].len))
		need = 2;
	else
		return 0;
	for (j = i + 1; j < n && seen < 5; j++) {
		if (blank(&v[j]))
			continue;
		seen++;
		if ((re_match(RE_FIELD, v[j].s, v[j].len) ||
		    re_match(RE_FROM, v[j].s, v[j].len)) && ++fields >= need)
			return 1;
	}
	return 0;
}

struct guard {
	char **lines;
	size_t n;
};

static int
guard_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
guard_build(struct guard *g, const char *reminder)
{
	struct dun_buf norm = DUN_BUF_INIT;
	const char *s = reminder, *nl;
	char *clean;

	memset(g, 0, sizeof(*g));
	if (reminder == NULL)
		return;
	if ((clean = dun__utf8_copy_if_valid(reminder, strlen(reminder),
	    NULL)) == NULL)
		clean = dun_utf8_sanitize(reminder, strlen(reminder), NULL);
	for (s = clean; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		normalise(&norm, s, (size_t)(nl - s));
		if (norm.len >= QUOTE_GUARD_MIN) {
			g->lines = xreallocarray(g->lines, g->n + 1,
			    sizeof(*g->lines));
			g->lines[g->n++] = xstrdup(norm.data);
		}
		if (*nl == '\0')
			break;
	}
	if (g->n)
		qsort(g->lines, g->n, sizeof(*g->lines), guard_cmp);
	dun_buf_free(&norm);
	free(clean);
}

static int
guard_hit(const struct guard *g, struct dun_buf *norm, const struct line *l)
{
	const char *key;

	if (g->n == 0)
		return 0;
	normalise(norm, l->s, l->len);
	if (norm->len < QUOTE_GUARD_MIN)
		return 0;
	key = norm->data;
	return bsearch(&key, g->lines, g->n, sizeof(*g->lines), guard_cmp)
	    != NULL;
}

static void
guard_free(struct guard *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->lines[i]);
	free(g->lines);
}

/* Kept lines to text: trailing blanks off, one empty line at most in a
 * row, none at either end. */
static char *
assemble(const struct line *v, const unsigned char *keep, size_t n)
{
	struct dun_buf b = DUN_BUF_INIT;
	size_t i, len;
	int blanks = 0, any = 0;

	for (i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		len = v[i].len;
		while (len > 0 && (v[i].s[len - 1] == ' ' ||
		    v[i].s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			blanks++;
			continue;
		}
		if (any && blanks)
			dun_buf_add(&b, "\n", 1);
		if (any)
			dun_buf_add(&b, "\n", 1);
		dun_buf_add(&b, v[i].s, len);
		any = 1;
		blanks = 0;
	}
	return dun_buf_detach(&b, NULL);
}

char *
dun_quote_strip(const char *text, const char *reminder_text)
{
	struct dun_buf tmp = DUN_BUF_INIT;
	struct guard g;
	struct line *v = NULL;
	unsigned char *keep;
	char *clean, *s, *out;
	size_t n = 0, i, j, k, kept = 0;

	if (text == NULL)
		return xstrdup("");
	regex_init();
	line_s = NULL;   /* the last text's lines are gone */
	if ((clean = dun__utf8_copy_if_valid(text, strlen(text), NULL)) ==
	    NULL)
		clean = dun_utf8_sanitize(text, strlen(text), NULL);
	for (s = clean, k = 1; (s = strchr(s, '\n')) != NULL; s++)
		k++;
	v = xreallocarray(NULL, k, sizeof(*v));   /* one per line */
	for (s = clean; ; ) {
		char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		v[n].s = s;
		v[n].len = len;
		n++;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	keep = xcalloc(n, 1);
	guard_build(&g, reminder_text);

	for (i = 0; i < n; ) {
		if (quoted(&v[i])) {
			i++;
			continue;
		}
		if (blank(&v[i])) {
			keep[i++] = 1;
			continue;
		}
		if ((k = attribution(v, n, i, &tmp)) > 0 ||
		    (re_match(RE_WROTE, v[i].s, v[i].len) &&
		    (j = next_text(v, n, i + 1)) < n && quoted(&v[j]) &&
		    (k = 1))) {
			/* A "> " quote after it ends where the debtor writes
			 * again; anything else runs to the end. */
			j = next_text(v, n, i + k);
			if (j < n && quoted(&v[j])) {
				i = j;
				continue;
			}
			break;
		}
		if (dashes(&v[i]) && (j = next_text(v, n, i + 1)) < n &&
		    header_block(v, n, j))
			break;
		if (re_match(RE_SEPARATOR, v[i].s, v[i].len) ||
		    header_block(v, n, i) ||
		    re_match(RE_SIGNATURE, v[i].s, v[i].len) ||
		    re_match(RE_DISCLAIMER, v[i].s, v[i].len))
			break;
		if (re_match(RE_FORWARD, v[i].s, v[i].len)) {
			/* A colleague's words above a forward are the reply;
			 * a bare forward keeps the forwarded words. */
			if (kept > 0)
				break;
			for (i++; i < n && (blank(&v[i]) ||
			    re_match(RE_FROM, v[i].s, v[i].len) ||
			    re_match(RE_FIELD, v[i].s, v[i].len)); i++)
				;
			continue;
		}
		if (guard_hit(&g, &tmp, &v[i])) {
			i++;
			continue;
		}
		keep[i++] = 1;
		kept++;
	}
	out = assemble(v, keep, n);

	guard_free(&g);
	dun_buf_free(&tmp);
	free(keep);
	free(v);
	free(clean);
	return out;
}

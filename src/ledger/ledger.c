/* CSV ledger import through libcsv; see ledger.h and docs/ledger.md. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include "dunmail/core/address.h"
#include "dunmail/core/common.h"
#include "dunmail/core/json.h"
#include "dunmail/core/log.h"
#include "dunmail/core/money.h"
#include "dunmail/ledger/ledger.h"
#include "dunmail/store/trail.h"

#define LEDGER_MAX_FILE (512u << 20)
#define LEDGER_MAX_FIELDS 256
#define LEDGER_MAX_NAME 200     /* characters of a debtor name */
#define LEDGER_MAX_PDF (64u << 20)

/* One parsed CSV record with the line it started on. */
struct csv_row {
	char **fields; /* owned */
	size_t *lens;  /* owned; each field's length, NULs included */
	size_t nfields;
	int line;
};

struct csv_doc {
	struct csv_row *rows; /* owned; rows[0] is the header */
	size_t nrows;
	/* parse state */
	struct csv_row cur;
	int cur_line;      /* line being fed to the parser */
	int cur_newlines;  /* newlines inside the current record's fields */
	int last_end_line; /* where the last complete record ended */
	int too_many;
};

static void
csv_field_cb(void *data, size_t len, void *arg)
{
	struct csv_doc *doc = arg;
	size_t i;

	if (doc->cur.nfields >= LEDGER_MAX_FIELDS) {
		doc->too_many = 1;
		return;
	}
	for (i = 0; i < len; i++)
		if (((char *)data)[i] == '\n')
			doc->cur_newlines++;
	doc->cur.fields = xreallocarray(doc->cur.fields, doc->cur.nfields + 1,
	    sizeof(char *));
	doc->cur.lens = xreallocarray(doc->cur.lens, doc->cur.nfields + 1,
	    sizeof(size_t));
	/* A NUL would cut the copy short: the length says it was there. */
	doc->cur.lens[doc->cur.nfields] = data ? len : 0;
	doc->cur.fields[doc->cur.nfields++] = xstrndup(data ? data : "", len);
}

static void
csv_row_cb(int term, void *arg)
{
	struct csv_doc *doc = arg;

	(void)term;
	doc->cur.line = doc->cur_line - doc->cur_newlines;
	doc->rows = xreallocarray(doc->rows, doc->nrows + 1,
	    sizeof(*doc->rows));
	doc->rows[doc->nrows++] = doc->cur;
	memset(&doc->cur, 0, sizeof(doc->cur));
	doc->cur_newlines = 0;
	doc->last_end_line = doc->cur_line;
}

static void
csv_doc_free(struct csv_doc *doc)
{
	size_t i, j;

	for (i = 0; i < doc->nrows; i++) {
		for (j = 0; j < doc->rows[i].nfields; j++)
			free(doc->rows[i].fields[j]);
		free(doc->rows[i].fields);
		free(doc->rows[i].lens);
	}
	for (j = 0; j < doc->cur.nfields; j++)
		free(doc->cur.fields[j]);
	free(doc->cur.fields);
	free(doc->cur.lens);
	free(doc->rows);
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
is_term(unsigned char c)
{
	return c == '\r' || c == '\n';
}

/* Parses the whole file, feeding it line by line so records know their
 * starting line. */
static int
csv_load(struct csv_doc *doc, const char *path, char delimiter,
    struct dun_diags *diags)
{
	struct csv_parser parser;
	char *text = NULL, *p, *end, *nl;
	size_t len;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if ((rc = dun_file_read(&text, &len, path, LEDGER_MAX_FILE)) < 0)
		return rc;
	if (!dun_utf8_valid(text, len)) {
		dun_diags_add(diags, path, 0, "the file is not UTF-8; export "
		    "it as UTF-8 (with or without BOM)");
		free(text);
		return DUN_EINVAL;
	}
	if (csv_init(&parser, CSV_STRICT | CSV_APPEND_NULL |
	    CSV_STRICT_FINI) != 0) {
		free(text);
		return dun_error_set(DUN_ERROR, "csv_init failed");
	}
	csv_set_delim(&parser, (unsigned char)delimiter);
	csv_set_space_func(&parser, is_space);
	csv_set_term_func(&parser, is_term);
	p = text;
	end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		size_t chunk;
		nl = memchr(p, '\n', (size_t)(end - p));
		chunk = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		doc->cur_line++;
		if (csv_parse(&parser, p, chunk, csv_field_cb, csv_row_cb,
		    doc) != chunk) {
			dun_diags_add(diags, path, doc->cur_line, "malformed "
			    "CSV: %s (a quote inside a field must be "
			    "doubled, and a quoted field closed)",
			    csv_strerror(csv_error(&parser)));
			rc = DUN_EINVAL;
			goto done;
		}
		p += chunk;
	}
	if (csv_fini(&parser, csv_field_cb, csv_row_cb, doc) != 0) {
		/* An unclosed quote runs to the end of the file: name the
		 * line where its record began. */
		dun_diags_add(diags, path, doc->last_end_line + 1, "malformed "
		    "CSV: a quoted field that starts in this record is never "
		    "closed (it runs to the end of the file at line %d)",
		    doc->cur_line);
		rc = DUN_EINVAL;
		goto done;
	}
	if (doc->too_many) {
		dun_diags_add(diags, path, 0, "a row has more than %d fields",
		    LEDGER_MAX_FIELDS);
		rc = DUN_EINVAL;
		goto done;
	}
	if (doc->nrows == 0) {
		dun_diags_add(diags, path, 1, "the file is empty; a header "
		    "row is needed");
		rc = DUN_EINVAL;
	}
done:
	csv_free(&parser);
	free(text);
	return rc;
}

/* Maps configured column names to field indexes; -1 where absent. */
static int
map_header(int *index, const struct csv_row *header, char *const *names,
    size_t ncols, const int *required, const char *path,
    struct dun_diags *diags)
{
	size_t c, f;
	int bad = 0;

	for (c = 0; c < ncols; c++) {
		index[c] = -1;
		for (f = 0; f < header->nfields; f++) {
			char *h = xstrdup(header->fields[f]);
			int same = strcasecmp(dun_str_trim(h), names[c]) == 0;
			free(h);
			if (same) {
				index[c] = (int)f;
				break;
			}
		}
		if (index[c] < 0 && required[c]) {
			dun_diags_add(diags, path, header->line, "no column "
			    "'%s' in the header (map yours in [ledger] of the "
			    "config; see docs/ledger.md)", names[c]);
			bad = 1;
		}
	}
	return bad ? DUN_EINVAL : 0;
}

static const char *
field(const struct csv_row *row, const int *index, int col)
{
	if (index[col] < 0 || (size_t)index[col] >= row->nfields)
		return "";
	return row->fields[index[col]];
}

/* Trimmed copy of a field. */
static char *
field_dup(const struct csv_row *row, const int *index, int col)
{
	char *copy = xstrdup(field(row, index, col));
	char *t = dun_str_trim(copy);
	char *r = xstrdup(t);

	free(copy);
	return r;
}

/*
 * What no ledger field may hold: C0 controls (TAB, CR and LF too: a
 * field is one line wherever it is shown or put in a header), DEL, C1,
 * the Unicode line and paragraph separators, and the bidirectional
 * overrides that make text read other than it is. Writes what was found
 * to why and returns 1; 0 if the field is clean. The file is valid UTF-8
 * (csv_load) but a NUL is only seen through len.
 */
static int
text_refused(char *why, size_t whylen, const char *s, size_t len)
{
	static const char *c0[32] = {
		"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",
		"TAB", "LF, a line break", "VT", "FF", "CR, a line break",
		"SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN",
		"ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
	};
	const unsigned char *p = (const unsigned char *)s;
	size_t i, chars = 0;

	for (i = 0; i < len; i++) {
		unsigned cp = p[i];
		const char *name = NULL;

		if ((p[i] & 0xc0) == 0x80)
			continue;
		chars++;
		if (p[i] < 0x20)
			name = c0[p[i]];
		else if (p[i] == 0x7f)
			name = "DEL";
		else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] < 0xa0)
			cp = p[i + 1], name = "a C1 control";
		else if (p[i] == 0xe2 && i + 2 < len && (p[i + 1] == 0x80 ||
		    p[i + 1] == 0x81)) {
			cp = 0x2000 | (p[i + 1] & 0x3fu) << 6 |
			    (p[i + 2] & 0x3fu);
			if (cp == 0x2028)
				name = "LINE SEPARATOR";
			else if (cp == 0x2029)
				name = "PARAGRAPH SEPARATOR";
			else if ((cp >= 0x202a && cp <= 0x202e) ||
			    (cp >= 0x2066 && cp <= 0x2069))
				name = "a bidirectional override";
		}
		if (name) {
			snprintf(why, whylen, "contains a control character "
			    "(U+%04X, %s) at character %zu; fix it in the "
			    "ledger and export again", cp, name, chars);
			return 1;
		}
	}
	return 0;
}

/* Every mapped column of a row through text_refused(), named. */
static int
row_text_refused(const struct csv_row *row, const int *index,
    char *const *names, size_t ncols, const char *path,
    struct dun_diags *diags)
{
	char why[160];
	size_t c;
	int bad = 0;

	for (c = 0; c < ncols; c++) {
		size_t f;
		if (index[c] < 0 || (size_t)index[c] >= row->nfields)
			continue;
		f = (size_t)index[c];
		if (text_refused(why, sizeof(why), row->fields[f],
		    row->lens[f])) {
			dun_diags_add(diags, path, row->line, "%s: %s",
			    names[c], why);
			bad = 1;
		}
	}
	return bad;
}

/* [ledger] decimal_separator; a config built by hand has none. */
static char
decimal_sep(const struct dun_config *cfg)
{
	return cfg->ledger.decimal_sep == ',' ? ',' : '.';
}

static int
parse_ledger_date(dun_date_t *out, const char *s, enum dun_date_order order)
{
	int a, b, c, y, m, d;
	char sep1, sep2, tail;

	if (order == DUN_DATES_ISO || (strlen(s) == 10 && s[4] == '-'))
		return dun_date_parse(out, s);
	if (sscanf(s, "%d%c%d%c%d%c", &a, &sep1, &b, &sep2, &c, &tail) != 5 ||
	    sep1 != sep2 || !strchr("/.-", sep1))
		return DUN_EINVAL;
	y = c;
	if (order == DUN_DATES_DMY)
		d = a, m = b;
	else
		m = a, d = b;
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 ||
	    d > dun_days_in_month(y, m))
		return DUN_EINVAL;
	*out = dun_date_from_ymd(y, m, d);
	return 0;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Runs of spaces in a name become one (line breaks and tabs are refused
 * before: text_refused). */
static void
collapse_space(char *s)
{
	char *w = s;
	int space = 0;

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n' || *s == '\t' || *s == ' ') {
			space = 1;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *s;
	}
	*w = '\0';
}

static const char *
normalise_language(const char *lang)
{
	if (!strncasecmp(lang, "zh", 2) || !strcmp(lang, "中文"))
		return "zh";
	if (!strncasecmp(lang, "en", 2))
		return "en";
	return NULL;
}

/* One validated invoice row. */
struct inv_rec {
	struct dun_debtor debtor;
	struct dun_invoice invoice;
	int line;
};

static void
inv_rec_clear(struct inv_rec *r)
{
	size_t i;

	free(r->debtor.ref);
	free(r->debtor.name);
	free(r->debtor.language);
	free(r->debtor.timezone);
	free(r->debtor.region);
	for (i = 0; i < r->debtor.nemails; i++)
		free(r->debtor.emails[i]);
	free(r->debtor.emails);
	free(r->invoice.number);
	free(r->invoice.pdf_path);
	free(r->invoice.pdf_sha256);
	free(r->invoice.source_hash);
}

/* 1 if the resolved path real is inside the folder dir. */
static int
path_inside(const char *real, const char *dir)
{
	char *rdir;
	size_t n;
	int in;

	if (dir == NULL || *dir == '\0' || (rdir = realpath(dir, NULL)) ==
	    NULL)
		return 0;
	n = strlen(rdir);
	/* The folder itself passes, to be refused as not a file. */
	in = strncmp(real, rdir, n) == 0 && (real[n] == '/' ||
	    real[n] == '\0' || (n == 1 && rdir[0] == '/'));
	free(rdir);
	return in;
}

/* A regular file's bytes, read through a descriptor that cannot hang on
 * a FIFO or a device nor follow a last-minute symbolic link. */
static int
read_regular(char **out, size_t *len_out, const char *real, char *why,
    size_t whylen)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	ssize_t got;
	int fd;

	*out = NULL;
	fd = open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot read %s: %s", real,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "cannot read %s: %s", real,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file (%s)", real,
		    S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ?
		    "a folder" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ?
		    "a device" : S_ISSOCK(st.st_mode) ? "a socket" : "other");
		close(fd);
		return -1;
	}
	if ((uintmax_t)st.st_size > LEDGER_MAX_PDF) {
		snprintf(why, whylen, "%s is larger than %u MiB", real,
		    LEDGER_MAX_PDF >> 20);
		close(fd);
		return -1;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		got = read(fd, data + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		snprintf(why, whylen, "cannot read %s: it changed or an I/O "
		    "error occurred", real);
		free(data);
		return -1;
	}
	*out = data;
	*len_out = len;
	return 0;
}

/*
 * The PDF a row names: relative to the CSV file's folder (or else to
 * [ledger] pdf_dir), never with a ".." step, and once every symbolic link
 * is resolved inside one of the two folders. Returns its real path, or
 * NULL with why filled.
 */
static char *
resolve_pdf(const char *csv_path, const char *pdf_dir, const char *pdf,
    char *why, size_t whylen)
{
	const char *slash = strrchr(csv_path, '/'), *p;
	char *csv_dir, *cand = NULL, *real = NULL;

	for (p = pdf; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == pdf || p[-1] == '/') && (p[2] == '/' ||
		    p[2] == '\0')) {
			snprintf(why, whylen, "'%s' has a '..' step; name a "
			    "file in the CSV file's folder or in [ledger] "
			    "pdf_dir", pdf);
			return NULL;
		}
	csv_dir = slash ? xasprintf("%.*s", slash == csv_path ? 1 :
	    (int)(slash - csv_path), csv_path) : xstrdup(".");
	if (pdf[0] == '/')
		cand = xstrdup(pdf);
	else {
		cand = xasprintf("%s/%s", csv_dir, pdf);
		if (access(cand, F_OK) < 0 && pdf_dir && *pdf_dir) {
			free(cand);
			cand = xasprintf("%s/%s", pdf_dir, pdf);
		}
	}
	if ((real = realpath(cand, NULL)) == NULL)
		snprintf(why, whylen, "cannot read %s: %s", cand,
		    strerror(errno));
	else if (!path_inside(real, csv_dir) && !path_inside(real, pdf_dir)) {
		snprintf(why, whylen, "'%s' is %s, outside the CSV file's "
		    "folder%s; PDFs must be there%s", pdf, real,
		    pdf_dir && *pdf_dir ? " and [ledger] pdf_dir" : "",
		    pdf_dir && *pdf_dir ? "" : " (or set [ledger] pdf_dir)");
		free(real);
		real = NULL;
	}
	free(cand);
	free(csv_dir);
	return real;
}

#define ROW_PROBLEM(col, ...) do {                                       \
	char _m[512];                                                    \
	snprintf(_m, sizeof(_m), __VA_ARGS__);                           \
	dun_diags_add(diags, path, row->line, "%s: %s",                  \
	    cfg->ledger.invoice_cols[col], _m);                          \
	bad = 1;                                                         \
} while (0)

static int
validate_invoice_row(struct inv_rec *rec, const struct csv_row *row,
    const int *index, const struct dun_config *cfg, const char *path,
    struct dun_diags *diags)
{
	char *text, *tok, *save = NULL;
	const char *lang;
	int bad = 0;

	memset(rec, 0, sizeof(*rec));
	rec->line = row->line;
	/* Control bytes are refused before anything reads the fields. */
	if (row_text_refused(row, index, cfg->ledger.invoice_cols,
	    DUN_INVOICE_NCOLS, path, diags))
		return DUN_EINVAL;
	rec->debtor.ref = field_dup(row, index, DUN_COL_DEBTOR_REF);
	if (*rec->debtor.ref == '\0')
		ROW_PROBLEM(DUN_COL_DEBTOR_REF, "empty");
	rec->debtor.name = field_dup(row, index, DUN_COL_DEBTOR_NAME);
	collapse_space(rec->debtor.name);
	if (*rec->debtor.name == '\0')
		ROW_PROBLEM(DUN_COL_DEBTOR_NAME, "empty");
	else if (utf8_chars(rec->debtor.name) > LEDGER_MAX_NAME)
		ROW_PROBLEM(DUN_COL_DEBTOR_NAME, "%zu characters; a name is "
		    "at most %d (it is the greeting and the To: line)",
		    utf8_chars(rec->debtor.name), LEDGER_MAX_NAME);
	rec->invoice.number = field_dup(row, index, DUN_COL_INVOICE_NUMBER);
	if (*rec->invoice.number == '\0')
		ROW_PROBLEM(DUN_COL_INVOICE_NUMBER, "empty");

	text = field_dup(row, index, DUN_COL_EMAIL);
	for (tok = strtok_r(text, ";, ", &save); tok;
	    tok = strtok_r(NULL, ";, ", &save)) {
		const char *b;
		dun_str_lower(tok);
		for (b = tok; *b && (unsigned char)*b < 0x80; b++)
			;
		if (*b) {
			/* What send can write: SMTPUTF8 is not spoken. */
			ROW_PROBLEM(DUN_COL_EMAIL, "'%s' has characters "
			    "outside ASCII; dunmail sends to ASCII addresses "
			    "only (write an international domain in its "
			    "xn-- form)", tok);
			continue;
		}
		if (!dun_email_valid(tok)) {
			ROW_PROBLEM(DUN_COL_EMAIL, "'%s' is not an e-mail "
			    "address", tok);
			continue;
		}
		rec->debtor.emails = xreallocarray(rec->debtor.emails,
		    rec->debtor.nemails + 1, sizeof(char *));
		rec->debtor.emails[rec->debtor.nemails++] = xstrdup(tok);
	}
	if (rec->debtor.nemails == 0 && !bad)
		ROW_PROBLEM(DUN_COL_EMAIL, "no address given");
	free(text);

	text = field_dup(row, index, DUN_COL_LANGUAGE);
	lang = *text ? normalise_language(text) : cfg->language;
	if (lang == NULL)
		ROW_PROBLEM(DUN_COL_LANGUAGE, "'%s' is not en or zh", text);
	rec->debtor.language = xstrdup(lang ? lang : "en");
	free(text);

	text = field_dup(row, index, DUN_COL_TIMEZONE);
	if (*text && !dun_tz_valid(text))
		ROW_PROBLEM(DUN_COL_TIMEZONE, "'%s' is not an IANA time zone "
		    "(e.g. Asia/Shanghai)", text);
	rec->debtor.timezone = xstrdup(*text ? text : cfg->timezone);
	free(text);
	rec->debtor.region = field_dup(row, index, DUN_COL_REGION);

	text = field_dup(row, index, DUN_COL_CURRENCY);
	for (tok = text; *tok; tok++)
		*tok = (char)toupper((unsigned char)*tok);
	if (dun_currency_exponent(text) < 0)
		ROW_PROBLEM(DUN_COL_CURRENCY, "unknown currency '%s' "
		    "(expected an ISO 4217 code such as USD or CNY)", text);
	snprintf(rec->invoice.currency, sizeof(rec->invoice.currency), "%s",
	    text);
	free(text);

	text = field_dup(row, index, DUN_COL_DUE_DATE);
	if (parse_ledger_date(&rec->invoice.due_date, text,
	    cfg->ledger.date_order) < 0)
		ROW_PROBLEM(DUN_COL_DUE_DATE, "'%s' is not a date (expected "
		    "%s)", text, cfg->ledger.date_order == DUN_DATES_ISO ?
		    "YYYY-MM-DD" : cfg->ledger.date_order == DUN_DATES_DMY ?
		    "DD/MM/YYYY" : "MM/DD/YYYY");
	free(text);
	text = field_dup(row, index, DUN_COL_ISSUE_DATE);
	if (*text == '\0')
		rec->invoice.issue_date = rec->invoice.due_date;
	else if (parse_ledger_date(&rec->invoice.issue_date, text,
	    cfg->ledger.date_order) < 0)
		ROW_PROBLEM(DUN_COL_ISSUE_DATE, "'%s' is not a date", text);
	free(text);
	if (!bad && rec->invoice.issue_date > rec->invoice.due_date)
		ROW_PROBLEM(DUN_COL_ISSUE_DATE, "issued after it is due");

	if (dun_currency_exponent(rec->invoice.currency) >= 0) {
		text = field_dup(row, index, DUN_COL_AMOUNT);
		if (dun_money_parse_sep(&rec->invoice.amount_minor, text,
		    rec->invoice.currency, decimal_sep(cfg)) < 0)
			ROW_PROBLEM(DUN_COL_AMOUNT, "%s", dun_error_last());
		else if (rec->invoice.amount_minor <= 0)
			ROW_PROBLEM(DUN_COL_AMOUNT, "'%s' is not a positive "
			    "amount (credit notes are not invoices)", text);
		free(text);
		text = field_dup(row, index, DUN_COL_OPEN_AMOUNT);
		if (*text == '\0')
			rec->invoice.ledger_open_minor =
			    rec->invoice.amount_minor;
		else if (dun_money_parse_sep(&rec->invoice.ledger_open_minor,
		    text, rec->invoice.currency, decimal_sep(cfg)) < 0)
			ROW_PROBLEM(DUN_COL_OPEN_AMOUNT, "%s",
			    dun_error_last());
		else if (rec->invoice.ledger_open_minor < 0)
			ROW_PROBLEM(DUN_COL_OPEN_AMOUNT, "'%s' is negative",
			    text);
		else if (rec->invoice.ledger_open_minor >
		    rec->invoice.amount_minor)
			ROW_PROBLEM(DUN_COL_OPEN_AMOUNT, "'%s' is more than "
			    "the invoice amount", text);
		free(text);
	}

	text = field_dup(row, index, DUN_COL_PDF);
	rec->invoice.pdf_path = xstrdup("");
	rec->invoice.pdf_sha256 = xstrdup("");
	if (*text) {
		char why[1024], *data = NULL, *pdf;
		size_t len;

		pdf = resolve_pdf(path, cfg->ledger.pdf_dir, text, why,
		    sizeof(why));
		if (pdf == NULL || read_regular(&data, &len, pdf, why,
		    sizeof(why)) < 0)
			ROW_PROBLEM(DUN_COL_PDF, "%s", why);
		else if (len < 5 || memcmp(data, "%PDF-", 5) != 0)
			ROW_PROBLEM(DUN_COL_PDF, "%s is not a PDF file", pdf);
		else {
			char sha[DUN_SHA256_HEX];
			dun_sha256_hex(sha, data, len);
			free(rec->invoice.pdf_path);
			free(rec->invoice.pdf_sha256);
			rec->invoice.pdf_path = pdf;
			rec->invoice.pdf_sha256 = xstrdup(sha);
			pdf = NULL;
		}
		free(data);
		free(pdf);
	}
	free(text);

	if (!bad) {
		/* What identifies this row's content, to see re-imports and
		 * conflicting duplicates. */
		struct dun_buf b = DUN_BUF_INIT;
		char sha[DUN_SHA256_HEX];
		size_t i;

		dun_buf_printf(&b, "%s\n%s\n%d\n%d\n%s\n%lld\n%lld\n%s\n",
		    rec->debtor.ref, rec->invoice.number,
		    rec->invoice.issue_date, rec->invoice.due_date,
		    rec->invoice.currency,
		    (long long)rec->invoice.amount_minor,
		    (long long)rec->invoice.ledger_open_minor,
		    rec->invoice.pdf_sha256);
		for (i = 0; i < rec->debtor.nemails; i++)
			dun_buf_printf(&b, "%s;", rec->debtor.emails[i]);
		dun_sha256_hex(sha, b.data, b.len);
		rec->invoice.source_hash = xstrdup(sha);
		dun_buf_free(&b);
	}
	return bad ? DUN_EINVAL : 0;
}

static int
trail_invoice(struct dun_store *store, dun_time_t now, const char *kind,
    int64_t case_id, int64_t debtor_id, const struct dun_invoice *inv,
    const char *file, int line)
{
	struct dun_trail_ref ref = { case_id, debtor_id, 0, NULL };
	struct dun_buf b = DUN_BUF_INIT;
	char amount[48], open[48], due[11];
	int rc;

	dun_date_format(due, inv->due_date);
	dun_money_plain(amount, sizeof(amount), inv->amount_minor,
	    inv->currency);
	dun_money_plain(open, sizeof(open), inv->ledger_open_minor,
	    inv->currency);
	dun_json_open(&b);
	dun_json_str(&b, "invoice", inv->number);
	dun_json_str(&b, "due_date", due);
	dun_json_str(&b, "currency", inv->currency);
	dun_json_str(&b, "amount", amount);
	dun_json_str(&b, "open_amount", open);
	dun_json_str(&b, "pdf_sha256", inv->pdf_sha256);
	dun_json_str(&b, "file", file);
	dun_json_int(&b, "line", line);
	dun_json_close(&b);
	rc = dun_trail_append(store, now, kind, &ref, b.data);
	dun_buf_free(&b);
	return rc;
}

/* After the open amount changed: close a settled case, reopen a case
 * the ledger says is owed again, open one for an invoice imported settled
 * and owed now. The case module's transition decides the state and writes
 * the trail event naming the case. */
static int
settle_case(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_ledger_cases *cases, const struct dun_invoice *inv,
    dun_time_t now, const char *why, struct dun_import_stats *stats)
{
	struct dun_case *c = NULL;
	int64_t id;
	int rc;

	rc = dun_store_case_by_invoice(store, &c, inv->number);
	if (rc == DUN_ENOTFOUND) {
		if (inv->open_minor == 0)
			return 0;
		if ((rc = cases->open(cases->arg, store, cfg, &id, inv->id, now,
		    "imported settled, owed now")) == 0)
			stats->cases_opened++;
		return rc;
	}
	if (rc < 0)
		return rc;
	if (inv->open_minor == 0 && dun_case_state_open(c->state)) {
		if ((rc = cases->settled(cases->arg, store, cfg, c, now,
		    why)) == 1)
			stats->cases_closed++;
	} else if (inv->open_minor > 0 && !dun_case_state_open(c->state)) {
		if ((rc = cases->reopened(cases->arg, store, cfg, c, now)) == 1)
			stats->cases_reopened++;
	}
	dun_case_free(c);
	return rc < 0 ? rc : 0;
}

static int
apply_invoice(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_ledger_cases *cases, struct inv_rec *rec, dun_time_t now, const char *path,
    struct dun_import_stats *stats, struct dun_diags *diags)
{
	struct dun_invoice *old = NULL, *cur = NULL;
	int64_t debtor_id, invoice_id, case_id;
	int changed = 0, rc;

	rc = dun_store_invoice_get(store, &old, rec->invoice.number);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		return rc;
	if ((rc = dun_store_debtor_upsert(store, &debtor_id, &rec->debtor,
	    &changed)) < 0)
		goto done;
	rec->invoice.debtor_id = debtor_id;
	if (old == NULL) {
		if ((rc = dun_store_invoice_insert(store, &invoice_id,
		    &rec->invoice)) < 0)
			goto done;
		stats->invoices_new++;
		case_id = 0;
		if (rec->invoice.ledger_open_minor > 0) {
			if ((rc = cases->open(cases->arg, store, cfg,
			    &case_id, invoice_id, now, NULL)) < 0)
				goto done;
			stats->cases_opened++;
		}
		rc = trail_invoice(store, now, "imported", case_id, debtor_id,
		    &rec->invoice, path, rec->line);
		goto done;
	}
	if (old->debtor_id != debtor_id) {
		dun_diags_add(diags, path, rec->line, "%s: invoice %s already "
		    "belongs to another debtor; an invoice cannot move",
		    "debtor_ref", rec->invoice.number);
		rc = DUN_EINVAL;
		goto done;
	}
	if (strcmp(old->source_hash, rec->invoice.source_hash) == 0) {
		stats->invoices_unchanged++;
		goto done;
	}
	if ((rc = dun_store_invoice_update(store, &rec->invoice)) < 0)
		goto done;
	stats->invoices_updated++;
	if ((rc = dun_store_invoice_get(store, &cur, rec->invoice.number)) < 0)
		goto done;
	{
		struct dun_case *c = NULL;
		int64_t cid = 0;
		if (dun_store_case_by_invoice(store, &c, cur->number) == 0)
			cid = c->id;
		dun_case_free(c);
		if ((rc = trail_invoice(store, now, "ledger_update", cid,
		    debtor_id, &rec->invoice, path, rec->line)) < 0)
			goto done;
	}
	rc = settle_case(store, cfg, cases, cur, now, "the ledger shows the invoice "
	    "settled", stats);
done:
	if (rc == 0 && changed == 2)
		stats->debtors_new++;
	else if (rc == 0 && changed == 1)
		stats->debtors_updated++;
	dun_invoice_free(old);
	dun_invoice_free(cur);
	return rc;
}

/* Two rows for one invoice or one debtor must agree. */
static void
check_duplicates(struct inv_rec *recs, size_t n, const char *path,
    struct dun_diags *diags, int *bad)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			if (!strcmp(recs[i].invoice.number,
			    recs[j].invoice.number) &&
			    strcmp(recs[i].invoice.source_hash,
			    recs[j].invoice.source_hash)) {
				dun_diags_add(diags, path, recs[i].line,
				    "invoice_number: %s appears again with "
				    "different data (first at line %d)",
				    recs[i].invoice.number, recs[j].line);
				*bad = 1;
			}
			if (!strcmp(recs[i].debtor.ref, recs[j].debtor.ref) &&
			    strcmp(recs[i].debtor.name, recs[j].debtor.name)) {
				dun_diags_add(diags, path, recs[i].line,
				    "debtor_name: debtor %s is named '%s' "
				    "here but '%s' at line %d",
				    recs[i].debtor.ref, recs[i].debtor.name,
				    recs[j].debtor.name, recs[j].line);
				*bad = 1;
			}
		}
}

static int
trail_import(struct dun_store *store, dun_time_t now, const char *kind,
    const char *path, const struct dun_import_stats *stats)
{
	struct dun_buf b = DUN_BUF_INIT;
	char sha[DUN_SHA256_HEX] = "";
	char *data = NULL;
	size_t len;
	int rc;

	if (dun_file_read(&data, &len, path, LEDGER_MAX_FILE) == 0)
		dun_sha256_hex(sha, data, len);
	free(data);
	dun_json_open(&b);
	dun_json_str(&b, "file", path);
	dun_json_str(&b, "sha256", sha);
	dun_json_int(&b, "rows", stats->rows);
	dun_json_int(&b, "new", stats->invoices_new + stats->payments_new);
	dun_json_int(&b, "updated", stats->invoices_updated);
	dun_json_close(&b);
	rc = dun_trail_append(store, now, kind, NULL, b.data);
	dun_buf_free(&b);
	return rc;
}

int
dun_ledger_import_invoices(struct dun_store *store,
    const struct dun_config *cfg, const struct dun_ledger_cases *cases,
    const char *path, dun_time_t now,
    struct dun_import_stats *stats, struct dun_diags *diags)
{
	static const int required[DUN_INVOICE_NCOLS] = {
		[DUN_COL_DEBTOR_REF] = 1, [DUN_COL_DEBTOR_NAME] = 1,
		[DUN_COL_EMAIL] = 1, [DUN_COL_INVOICE_NUMBER] = 1,
		[DUN_COL_DUE_DATE] = 1, [DUN_COL_CURRENCY] = 1,
		[DUN_COL_AMOUNT] = 1,
	};
	int index[DUN_INVOICE_NCOLS];
	struct csv_doc doc;
	struct inv_rec *recs = NULL;
	size_t i, nrecs = 0, ndiags = diags->count;
	int rc, bad = 0;

	memset(stats, 0, sizeof(*stats));
	if ((rc = csv_load(&doc, path, cfg->ledger.delimiter, diags)) < 0)
		goto done;
	if ((rc = map_header(index, &doc.rows[0], cfg->ledger.invoice_cols,
	    DUN_INVOICE_NCOLS, required, path, diags)) < 0)
		goto done;
	recs = xcalloc(doc.nrows, sizeof(*recs));
	for (i = 1; i < doc.nrows; i++) {
		const struct csv_row *row = &doc.rows[i];
		if (row->nfields == 1 && *dun_str_trim(row->fields[0]) == '\0')
			continue; /* a blank line */
		stats->rows++;
		if (validate_invoice_row(&recs[nrecs], row, index, cfg, path,
		    diags) < 0)
			bad = 1;
		nrecs++;
	}
	if (!bad)
		check_duplicates(recs, nrecs, path, diags, &bad);
	if (bad) {
		rc = dun_error_set(DUN_EINVAL, "%s: bad rows", path);
		goto done;
	}
	if ((rc = dun_store_begin(store)) < 0)
		goto done;
	for (i = 0; i < nrecs && rc == 0; i++) {
		/* A duplicate row already applied in this run: skip. */
		size_t j;
		for (j = 0; j < i; j++)
			if (!strcmp(recs[i].invoice.number,
			    recs[j].invoice.number))
				break;
		if (j < i)
			continue;
		rc = apply_invoice(store, cfg, cases, &recs[i], now, path, stats,
		    diags);
	}
	if (rc == 0 && (stats->invoices_new || stats->invoices_updated))
		rc = trail_import(store, now, "import", path, stats);
	if (rc < 0) {
		dun_store_rollback(store);
		goto done;
	}
	rc = dun_store_commit(store);
done:
	if (rc < 0 && diags->count == ndiags && rc != DUN_EINVAL)
		log_debug("import failed: %s", dun_error_last());
	for (i = 0; i < nrecs; i++)
		inv_rec_clear(&recs[i]);
	free(recs);
	csv_doc_free(&doc);
	return rc;
}

#undef ROW_PROBLEM
#define ROW_PROBLEM(col, ...) do {                                       \
	char _m[512];                                                    \
	snprintf(_m, sizeof(_m), __VA_ARGS__);                           \
	dun_diags_add(diags, path, row->line, "%s: %s",                  \
	    cfg->ledger.payment_cols[col], _m);                          \
	bad = 1;                                                         \
} while (0)

struct pay_rec {
	struct dun_invoice *invoice; /* owned */
	dun_date_t paid_on;
	char currency[4];
	int64_t amount_minor;
	char *reference;             /* owned */
	int line;
};

static int
validate_payment_row(struct pay_rec *rec, const struct csv_row *row,
    const int *index, struct dun_store *store, const struct dun_config *cfg,
    const char *path, struct dun_diags *diags)
{
	char *number, *text, *p;
	int bad = 0, rc;

	memset(rec, 0, sizeof(*rec));
	rec->line = row->line;
	if (row_text_refused(row, index, cfg->ledger.payment_cols,
	    DUN_PAYMENT_NCOLS, path, diags))
		return DUN_EINVAL;
	number = field_dup(row, index, DUN_PCOL_INVOICE_NUMBER);
	rc = dun_store_invoice_get(store, &rec->invoice, number);
	if (rc == DUN_ENOTFOUND)
		ROW_PROBLEM(DUN_PCOL_INVOICE_NUMBER, "no invoice '%s' in the "
		    "store; import the invoices first", number);
	else if (rc < 0) {
		free(number);
		return rc;
	}
	free(number);
	text = field_dup(row, index, DUN_PCOL_PAID_ON);
	if (parse_ledger_date(&rec->paid_on, text, cfg->ledger.date_order) < 0)
		ROW_PROBLEM(DUN_PCOL_PAID_ON, "'%s' is not a date", text);
	free(text);
	text = field_dup(row, index, DUN_PCOL_CURRENCY);
	for (p = text; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (*text == '\0' && rec->invoice) {
		free(text);
		text = xstrdup(rec->invoice->currency);
	}
	if (dun_currency_exponent(text) < 0)
		ROW_PROBLEM(DUN_PCOL_CURRENCY, "unknown currency '%s'", text);
	else if (rec->invoice && strcmp(text, rec->invoice->currency))
		ROW_PROBLEM(DUN_PCOL_CURRENCY, "%s, but invoice %s is in %s",
		    text, rec->invoice->number, rec->invoice->currency);
	snprintf(rec->currency, sizeof(rec->currency), "%s", text);
	free(text);
	if (!bad) {
		text = field_dup(row, index, DUN_PCOL_AMOUNT);
		if (dun_money_parse_sep(&rec->amount_minor, text,
		    rec->currency, decimal_sep(cfg)) < 0)
			ROW_PROBLEM(DUN_PCOL_AMOUNT, "%s", dun_error_last());
		else if (rec->amount_minor <= 0)
			ROW_PROBLEM(DUN_PCOL_AMOUNT, "'%s' is not a positive "
			    "amount", text);
		free(text);
	}
	rec->reference = field_dup(row, index, DUN_PCOL_REFERENCE);
	return bad ? DUN_EINVAL : 0;
}

static int
apply_payment(struct dun_store *store, const struct dun_config *cfg,
    const struct dun_ledger_cases *cases, struct pay_rec *rec, dun_time_t now, const char *path,
    struct dun_import_stats *stats)
{
	struct dun_invoice *inv = NULL;
	struct dun_case *c = NULL;
	struct dun_trail_ref ref = { 0 };
	struct dun_buf b = DUN_BUF_INIT;
	char amount[48], open[48], date[11];
	int rc;

	rc = dun_store_payment_add(store, rec->invoice->id, rec->paid_on,
	    rec->currency, rec->amount_minor, rec->reference);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		stats->payments_known++;
		return 0;
	}
	stats->payments_new++;
	if ((rc = dun_store_invoice_get(store, &inv,
	    rec->invoice->number)) < 0)
		return rc;
	if (dun_store_case_by_invoice(store, &c, inv->number) == 0)
		ref.case_id = c->id;
	ref.debtor_id = inv->debtor_id;
	dun_date_format(date, rec->paid_on);
	dun_money_plain(amount, sizeof(amount), rec->amount_minor,
	    rec->currency);
	dun_money_plain(open, sizeof(open), inv->open_minor, inv->currency);
	dun_json_open(&b);
	dun_json_str(&b, "invoice", inv->number);
	dun_json_str(&b, "paid_on", date);
	dun_json_str(&b, "currency", rec->currency);
	dun_json_str(&b, "amount", amount);
	dun_json_str(&b, "reference", rec->reference);
	dun_json_str(&b, "open_after", open);
	dun_json_str(&b, "file", path);
	dun_json_int(&b, "line", rec->line);
	dun_json_close(&b);
	rc = dun_trail_append(store, now, "payment", &ref, b.data);
	dun_buf_free(&b);
	if (rc == 0)
		rc = settle_case(store, cfg, cases, inv, now, "a payment cleared the "
		    "invoice", stats);
	dun_case_free(c);
	dun_invoice_free(inv);
	return rc;
}

int
dun_ledger_import_payments(struct dun_store *store,
    const struct dun_config *cfg, const struct dun_ledger_cases *cases,
    const char *path, dun_time_t now,
    struct dun_import_stats *stats, struct dun_diags *diags)
{
	static const int required[DUN_PAYMENT_NCOLS] = {
		[DUN_PCOL_INVOICE_NUMBER] = 1, [DUN_PCOL_PAID_ON] = 1,
		[DUN_PCOL_AMOUNT] = 1,
	};
	int index[DUN_PAYMENT_NCOLS];
	struct csv_doc doc;
	struct pay_rec *recs = NULL;
	size_t i, nrecs = 0;
	int rc, bad = 0;

	memset(stats, 0, sizeof(*stats));
	if ((rc = csv_load(&doc, path, cfg->ledger.delimiter, diags)) < 0)
		goto done;
	if ((rc = map_header(index, &doc.rows[0], cfg->ledger.payment_cols,
	    DUN_PAYMENT_NCOLS, required, path, diags)) < 0)
		goto done;
	recs = xcalloc(doc.nrows, sizeof(*recs));
	for (i = 1; i < doc.nrows; i++) {
		const struct csv_row *row = &doc.rows[i];
		if (row->nfields == 1 && *dun_str_trim(row->fields[0]) == '\0')
			continue;
		stats->rows++;
		rc = validate_payment_row(&recs[nrecs++], row, index, store,
		    cfg, path, diags);
		if (rc == DUN_EINVAL)
			bad = 1;
		else if (rc < 0)
			goto done;
	}
	if (bad) {
		rc = dun_error_set(DUN_EINVAL, "%s: bad rows", path);
		goto done;
	}
	if ((rc = dun_store_begin(store)) < 0)
		goto done;
	for (i = 0; i < nrecs && rc == 0; i++)
		rc = apply_payment(store, cfg, cases, &recs[i], now, path, stats);
	if (rc == 0 && stats->payments_new)
		rc = trail_import(store, now, "import", path, stats);
	if (rc < 0) {
		dun_store_rollback(store);
		goto done;
	}
	rc = dun_store_commit(store);
done:
	for (i = 0; i < nrecs; i++) {
		dun_invoice_free(recs[i].invoice);
		free(recs[i].reference);
	}
	free(recs);
	csv_doc_free(&doc);
	return rc;
}

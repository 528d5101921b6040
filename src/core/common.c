/* Error slot, allocation wrappers, capped buffers, string helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"

static struct {
	int code;
	dun_retry_t retry;
	char msg[2048];
} dun_err;

int
dun_error_setv(int code, const char *fmt, va_list ap)
{
	dun_err.code = code;
	dun_err.retry = DUN_RETRY_NONE;
	vsnprintf(dun_err.msg, sizeof(dun_err.msg), fmt, ap);
	return code;
}

int
dun_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dun_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int
dun_error_set_errno(int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t len;

	va_start(ap, fmt);
	dun_error_setv(code, fmt, ap);
	va_end(ap);
	len = strlen(dun_err.msg);
	snprintf(dun_err.msg + len, sizeof(dun_err.msg) - len, ": %s",
	    strerror(saved));
	return code;
}

const char *
dun_error_last(void)
{
	return dun_err.msg[0] ? dun_err.msg : "unknown error";
}

int
dun_error_code(void)
{
	return dun_err.code;
}

void
dun_error_set_retry(dun_retry_t retry)
{
	dun_err.retry = retry;
}

dun_retry_t
dun_error_retry(void)
{
	return dun_err.retry;
}

void
dun_error_clear(void)
{
	dun_err.code = 0;
	dun_err.retry = DUN_RETRY_NONE;
	dun_err.msg[0] = '\0';
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatal("malloc %zu", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc %zu x %zu", nmemb, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		fatal("realloc %zu", size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		fatalx("reallocarray: %zu x %zu overflows", nmemb, size);
	return xrealloc(ptr, nmemb * size);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatal("strndup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatal("asprintf");
	return p;
}

void
dun_buf_init(struct dun_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = b->alloc = 0;
	b->cap = cap;
}

static int
buf_grow(struct dun_buf *b, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX - b->len - 1)
		return dun_error_set(DUN_ETOOBIG, "buffer size overflow");
	want = b->len + extra + 1;
	if (b->cap && want - 1 > b->cap)
		return dun_error_set(DUN_ETOOBIG,
		    "data exceeds the limit of %zu bytes", b->cap);
	if (want > b->alloc) {
		size_t n = b->alloc ? b->alloc : 256;
		while (n < want)
			n = n > SIZE_MAX / 2 ? want : n * 2;
		b->data = xrealloc(b->data, n);
		b->alloc = n;
	}
	return 0;
}

int
dun_buf_add(struct dun_buf *b, const void *data, size_t len)
{
	int rc;

	if ((rc = buf_grow(b, len)) < 0)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
dun_buf_puts(struct dun_buf *b, const char *s)
{
	return dun_buf_add(b, s, strlen(s));
}

int
dun_buf_printf(struct dun_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return dun_error_set(DUN_ERROR, "format error");
	if ((size_t)n < sizeof(small))
		return dun_buf_add(b, small, (size_t)n);
	if ((rc = buf_grow(b, (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
dun_buf_clear(struct dun_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
dun_buf_detach(struct dun_buf *b, size_t *len_out)
{
	char *p = b->data ? b->data : xstrdup("");

	if (len_out)
		*len_out = b->data ? b->len : 0;
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

void
dun_buf_free(struct dun_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

int
dun_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
dun_str_casecmp_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *
dun_str_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

char *
dun_str_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* Length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
dun_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
dun_utf8_sanitize(const char *s, size_t len, size_t *len_out)
{
	const unsigned char *p = (const unsigned char *)s;
	struct dun_buf b = DUN_BUF_INIT;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			dun_buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		dun_buf_add(&b, p + i, n);
		i += n;
	}
	return dun_buf_detach(&b, len_out);
}

static int
cell_width(uint32_t cp)
{
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/* What a terminal must not be given raw: C0, DEL, C1 (ESC and CSI start
 * escape sequences), the line and paragraph separators, and the
 * bidirectional overrides. */
static int
cp_unshown(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

void
dun_str_shown(char *out, size_t outlen, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n, i;
	uint32_t cp;

	if (outlen == 0)
		return;
	while (*p) {
		n = utf8_seq(p, strlen((const char *)p));
		cp = n <= 1 ? p[0] : (uint32_t)(p[0] & (0xff >> (n + 1)));
		for (i = 1; i < n; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		if (n == 0 || cp_unshown(cp)) {
			if (o + 2 > outlen)
				break;
			out[o++] = '?';
			p += n ? n : 1;
			continue;
		}
		if (o + n + 1 > outlen)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

void
dun_utf8_fit(char *out, size_t outlen, const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n, i;
	int used = 0, w;
	uint32_t cp;

	if (outlen == 0)
		return;
	while (*p) {
		n = utf8_seq(p, strlen((const char *)p));
		if (n == 0) {
			p++;
			continue;
		}
		cp = n == 1 ? p[0] : (uint32_t)(p[0] & (0xff >> (n + 1)));
		for (i = 1; i < n; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		w = cell_width(cp);
		if (used + w > width || o + n + 1 >= outlen)
			break;
		if (cp_unshown(cp))
			out[o++] = ' ';
		else {
			memcpy(out + o, p, n);
			o += n;
		}
		used += w;
		p += n;
	}
	while (used < width && o + 1 < outlen) {
		out[o++] = ' ';
		used++;
	}
	out[o] = '\0';
}

int
dun_json_escape(struct dun_buf *out, const char *s)
{
	const unsigned char *p;
	int rc = 0;

	for (p = (const unsigned char *)s; *p && rc == 0; p++) {
		switch (*p) {
		case '"': rc = dun_buf_puts(out, "\\\""); break;
		case '\\': rc = dun_buf_puts(out, "\\\\"); break;
		case '\n': rc = dun_buf_puts(out, "\\n"); break;
		case '\r': rc = dun_buf_puts(out, "\\r"); break;
		case '\t': rc = dun_buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20)
				rc = dun_buf_printf(out, "\\u%04x", *p);
			else
				rc = dun_buf_add(out, p, 1);
		}
	}
	return rc;
}

int
dun_file_read(char **out, size_t *len_out, const char *path, size_t cap)
{
	struct dun_buf b;
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	if (cap == 0)
		cap = 64u << 20;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return dun_error_set_errno(errno == ENOENT ? DUN_ENOTFOUND :
		    DUN_EIO, "%s", path);
	dun_buf_init(&b, cap);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dun_error_set_errno(DUN_EIO, "%s: read", path);
			break;
		}
		if ((rc = dun_buf_add(&b, chunk, (size_t)n)) < 0) {
			rc = dun_error_set(DUN_ETOOBIG,
			    "%s: file larger than %zu bytes", path, cap);
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		dun_buf_free(&b);
		return rc;
	}
	*out = dun_buf_detach(&b, len_out);
	return 0;
}

int
dun_file_write_atomic(const char *path, const void *data, size_t len,
    int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = dun_error_set_errno(DUN_EIO, "%s", tmp);
		goto cleanup;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dun_error_set_errno(DUN_EIO, "%s: write", tmp);
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = dun_error_set_errno(DUN_EIO, "%s: fsync", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = dun_error_set_errno(DUN_EIO, "%s: close", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = dun_error_set_errno(DUN_EIO, "rename %s", path);
	if (rc < 0)
		unlink(tmp);
cleanup:
	free(tmp);
	return rc;
}

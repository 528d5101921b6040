/*
 * Shared ground for every module: error codes and the one error slot,
 * retry classes, allocation wrappers that make out-of-memory fatal, and a
 * growable buffer with a size cap for anything fed by the network.
 *
 * Functions return 0 on success or a negative DUN_E* code; the message is
 * set once with dun_error_set() where the failure is found and passed up.
 */
#ifndef DUNMAIL_COMMON_H
#define DUNMAIL_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DUN_VERSION "0.1.0"

enum {
	DUN_OK = 0,
	DUN_ERROR = -1,     /* generic failure; message says what */
	DUN_ENOTFOUND = -2, /* no such invoice, debtor, file, key */
	DUN_EINVAL = -3,    /* bad input from a user file or the command line */
	DUN_ECONFIG = -4,   /* configuration is wrong */
	DUN_ESTORE = -5,    /* the store failed (disk full, locked, corrupt) */
	DUN_ENET = -6,      /* network or protocol failure */
	DUN_ETLS = -7,      /* TLS verification refused the peer */
	DUN_EAUTH = -8,     /* the server refused our credentials */
	DUN_ETOOBIG = -9,   /* a size cap was hit */
	DUN_EPARSE = -10,   /* malformed message, template or rule */
	DUN_ETAMPER = -11,  /* the trail or a stored file does not verify */
	DUN_EIO = -12,      /* local file I/O */
	DUN_EEXISTS = -13,  /* refusing to overwrite */
};

/* Retry classes, decided where the failure is found (isync's FAIL_*). */
typedef enum {
	DUN_RETRY_NONE = 0, /* not a transport failure */
	DUN_RETRY_TEMP,     /* try again soon (4xx, connection reset) */
	DUN_RETRY_WAIT,     /* try again later (server busy, rate limited) */
	DUN_RETRY_FINAL,    /* never retry; needs a person (5xx, bad config) */
} dun_retry_t;

int dun_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dun_error_setv(int code, const char *fmt, va_list ap);
/* Sets the message with strerror(errno) appended. */
int dun_error_set_errno(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *dun_error_last(void);
int dun_error_code(void);
void dun_error_set_retry(dun_retry_t retry);
dun_retry_t dun_error_retry(void);
void dun_error_clear(void);

/* Allocation: out of memory is fatal, so callers never check. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated, with an optional cap. */
struct dun_buf {
	char *data;   /* owned */
	size_t len;
	size_t alloc;
	size_t cap;   /* 0 = no cap; else appends past it fail DUN_ETOOBIG */
};

#define DUN_BUF_INIT { NULL, 0, 0, 0 }

void dun_buf_init(struct dun_buf *b, size_t cap);
int dun_buf_add(struct dun_buf *b, const void *data, size_t len);
int dun_buf_puts(struct dun_buf *b, const char *s);
int dun_buf_printf(struct dun_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dun_buf_clear(struct dun_buf *b);
/* Hands the bytes to the caller and leaves the buffer empty. */
char *dun_buf_detach(struct dun_buf *b, size_t *len_out);
void dun_buf_free(struct dun_buf *b);

/* Small string helpers. */
int dun_str_has_prefix(const char *s, const char *prefix);
int dun_str_casecmp_prefix(const char *s, const char *prefix);
char *dun_str_trim(char *s);                 /* in place, returns s+lead */
char *dun_str_lower(char *s);                /* ASCII, in place */
int dun_utf8_valid(const char *s, size_t len);
/* Copy replacing invalid UTF-8 sequences with U+FFFD. */
char *dun_utf8_sanitize(const char *s, size_t len, size_t *len_out);
/* Fits s into a terminal column of `width` cells: cut at a character
 * boundary (East Asian wide characters take two cells), then padded. */
void dun_utf8_fit(char *out, size_t outlen, const char *s, int width);
/* s as a terminal may be given it: each control character (C0, DEL, C1,
 * U+2028/2029, bidirectional overrides) and invalid byte made '?', cut at
 * a character boundary to fit outlen. */
void dun_str_shown(char *out, size_t outlen, const char *s);
/* JSON string body escaping (no quotes added). */
int dun_json_escape(struct dun_buf *out, const char *s);
/* Read a whole file, refusing files larger than cap (0 = 64 MiB). */
int dun_file_read(char **out, size_t *len_out, const char *path, size_t cap);
/* Write atomically: temp file, fsync, rename, mode as given. */
int dun_file_write_atomic(const char *path, const void *data, size_t len,
	int mode);

/* SHA-256 as 64 lowercase hex chars plus NUL. */
#define DUN_SHA256_HEX 65
void dun_sha256_hex(char out[DUN_SHA256_HEX], const void *data, size_t len);

#define DUN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

/* Flat JSON object writer; see json.h. */
#include <stdio.h>

#include "dunmail/core/json.h"

static void
key(struct dun_buf *b, const char *k)
{
	if (b->len > 0 && b->data[b->len - 1] != '{' &&
	    b->data[b->len - 1] != '[')
		dun_buf_puts(b, ",");
	dun_buf_puts(b, "\"");
	dun_json_escape(b, k);
	dun_buf_puts(b, "\":");
}

void
dun_json_open(struct dun_buf *b)
{
	if (b->len > 0 && b->data[b->len - 1] == '}')
		dun_buf_puts(b, ",");
	dun_buf_puts(b, "{");
}

void
dun_json_close(struct dun_buf *b)
{
	dun_buf_puts(b, "}");
}

void
dun_json_str(struct dun_buf *b, const char *k, const char *value)
{
	key(b, k);
	dun_buf_puts(b, "\"");
	dun_json_escape(b, value ? value : "");
	dun_buf_puts(b, "\"");
}

void
dun_json_strn(struct dun_buf *b, const char *k, const char *value)
{
	if (value == NULL) {
		key(b, k);
		dun_buf_puts(b, "null");
	} else
		dun_json_str(b, k, value);
}

void
dun_json_int(struct dun_buf *b, const char *k, int64_t value)
{
	key(b, k);
	dun_buf_printf(b, "%lld", (long long)value);
}

void
dun_json_double(struct dun_buf *b, const char *k, double value)
{
	key(b, k);
	dun_buf_printf(b, "%.3f", value);
}

void
dun_json_bool(struct dun_buf *b, const char *k, int value)
{
	key(b, k);
	dun_buf_puts(b, value ? "true" : "false");
}

void
dun_json_raw(struct dun_buf *b, const char *k, const char *json)
{
	key(b, k);
	dun_buf_puts(b, json);
}

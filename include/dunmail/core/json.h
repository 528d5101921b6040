/* A tiny writer for the flat JSON objects dunmail emits (trail details,
 * --json output). Keys are written in the order given: callers keep it
 * fixed, which makes the trail's detail text canonical. */
#ifndef DUNMAIL_JSON_H
#define DUNMAIL_JSON_H

#include <stdint.h>

#include "dunmail/core/common.h"

void dun_json_open(struct dun_buf *b);   /* "{" or ",{" after an object */
void dun_json_close(struct dun_buf *b);  /* "}" */
void dun_json_str(struct dun_buf *b, const char *key, const char *value);
/* NULL value writes null. */
void dun_json_strn(struct dun_buf *b, const char *key, const char *value);
void dun_json_int(struct dun_buf *b, const char *key, int64_t value);
void dun_json_double(struct dun_buf *b, const char *key, double value);
void dun_json_bool(struct dun_buf *b, const char *key, int value);
/* Raw JSON (an array or object already built). */
void dun_json_raw(struct dun_buf *b, const char *key, const char *json);

#endif

/*
 * Calendar and time-zone arithmetic. Instants are int64 seconds since the
 * epoch (UTC); calendar dates are int32 days since 1970-01-01. Nothing here
 * reads the clock: callers pass `now`.
 */
#ifndef DUNMAIL_TIMEUTIL_H
#define DUNMAIL_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

typedef int64_t dun_time_t; /* seconds since the epoch, UTC */
typedef int32_t dun_date_t; /* days since 1970-01-01 */

#define DUN_DATE_NONE INT32_MIN

dun_date_t dun_date_from_ymd(int y, int m, int d);
void dun_date_to_ymd(dun_date_t date, int *y, int *m, int *d);
/* "YYYY-MM-DD", strictly (real calendar day); DUN_EINVAL otherwise. */
int dun_date_parse(dun_date_t *out, const char *s);
/* Writes "YYYY-MM-DD" (11 bytes with NUL). */
void dun_date_format(char out[11], dun_date_t date);
/* 0 = Sunday .. 6 = Saturday. */
int dun_date_weekday(dun_date_t date);
int dun_days_in_month(int y, int m);

/* True if the IANA zone name is known to the system's zoneinfo. */
int dun_tz_valid(const char *tz);
/* Broken-down local time of t in zone tz. */
int dun_tz_localtime(struct tm *out, dun_time_t t, const char *tz);
/* The local calendar date of t in zone tz. */
dun_date_t dun_tz_date(dun_time_t t, const char *tz);
/* The instant of local date + minutes after midnight in tz (first one
 * if ambiguous, the next valid one if inside a DST gap). */
dun_time_t dun_tz_instant(dun_date_t date, int minute_of_day, const char *tz);
/* Offset of tz from UTC at t, in seconds east. */
long dun_tz_offset(dun_time_t t, const char *tz);
/* The zone functions switch the process's TZ (and keep it, to avoid
 * reloads); this puts back the process's own, for what reads local time
 * itself: syslog()'s header times. */
void dun_tz_reset(void);

/*
 * ISO-8601 instant: "2026-11-22T09:30:00Z", "...+08:00", "2026-11-22T09:30"
 * (UTC), or "2026-11-22" (00:00 UTC). DUN_EINVAL otherwise.
 */
int dun_time_parse(dun_time_t *out, const char *s);
/* "2026-11-22T09:30:00Z" (21 bytes with NUL). */
void dun_time_format_utc(char out[21], dun_time_t t);
/* "2026-11-22 09:00 Asia/Shanghai" style, into a caller buffer. */
void dun_time_format_local(char *out, size_t outlen, dun_time_t t,
	const char *tz);
/* RFC 5322 Date header value for t in tz. */
void dun_time_format_rfc5322(char *out, size_t outlen, dun_time_t t,
	const char *tz);

#endif

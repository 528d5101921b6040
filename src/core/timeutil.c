/* Calendar arithmetic and IANA time zones via TZ + tzset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "dunmail/core/timeutil.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
dun_date_t
dun_date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (dun_date_t)(era * 146097 + doe - 719468);
}

void
dun_date_to_ymd(dun_date_t date, int *y, int *m, int *d)
{
	int z = date + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int
dun_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[(m - 1) % 12];
}

static int
parse_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
parse_ymd(const char *s, int *y, int *m, int *d)
{
	if (parse_digits(s, 4, y) < 0 || s[4] != '-' ||
	    parse_digits(s + 5, 2, m) < 0 || s[7] != '-' ||
	    parse_digits(s + 8, 2, d) < 0)
		return -1;
	if (*y < 1900 || *y > 2999 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > dun_days_in_month(*y, *m))
		return -1;
	return 0;
}

int
dun_date_parse(dun_date_t *out, const char *s)
{
	int y, m, d;

	if (strlen(s) != 10 || parse_ymd(s, &y, &m, &d) < 0)
		return dun_error_set(DUN_EINVAL,
		    "'%s' is not a date of the form YYYY-MM-DD", s);
	*out = dun_date_from_ymd(y, m, d);
	return 0;
}

void
dun_date_format(char out[11], dun_date_t date)
{
	int y, m, d;

	dun_date_to_ymd(date, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

int
dun_date_weekday(dun_date_t date)
{
	/* 1970-01-01 was a Thursday. */
	int w = (int)((date + 4) % 7);
	return w < 0 ? w + 7 : w;
}

int
dun_tz_valid(const char *tz)
{
	char path[512];
	struct stat st;

	if (tz == NULL || *tz == '\0' || strstr(tz, "..") || tz[0] == '/')
		return 0;
	if (strcmp(tz, "UTC") == 0)
		return 1;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Switching TZ is process-global; keep the last zone to avoid reloads,
 * and the process's own TZ (set or not) for dun_tz_reset(). */
static char tz_current[128];
static int tz_own_saved;
static char tz_own[256];
static int tz_own_set;

static void
tz_select(const char *tz)
{
	const char *own;

	if (strcmp(tz_current, tz) == 0)
		return;
	if (!tz_own_saved) {
		if ((own = getenv("TZ")) != NULL) {
			snprintf(tz_own, sizeof(tz_own), "%s", own);
			tz_own_set = 1;
		}
		tz_own_saved = 1;
	}
	/* The logger must undo this before syslog() stamps a time. */
	log_set_before_syslog(dun_tz_reset);
	snprintf(tz_current, sizeof(tz_current), "%s", tz);
	setenv("TZ", tz, 1);
	tzset();
}

void
dun_tz_reset(void)
{
	if (tz_current[0] == '\0')
		return; /* never switched, or back already */
	if (tz_own_set)
		setenv("TZ", tz_own, 1);
	else
		unsetenv("TZ");
	tzset();
	tz_current[0] = '\0';
	/* What TZ says from here on is the process's own again. */
	tz_own_saved = 0;
	tz_own_set = 0;
}

int
dun_tz_localtime(struct tm *out, dun_time_t t, const char *tz)
{
	time_t tt = (time_t)t;

	tz_select(tz);
	if (localtime_r(&tt, out) == NULL)
		return dun_error_set(DUN_EINVAL, "time out of range");
	return 0;
}

dun_date_t
dun_tz_date(dun_time_t t, const char *tz)
{
	struct tm tm;

	if (dun_tz_localtime(&tm, t, tz) < 0)
		return DUN_DATE_NONE;
	return dun_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
}

long
dun_tz_offset(dun_time_t t, const char *tz)
{
	struct tm tm;

	if (dun_tz_localtime(&tm, t, tz) < 0)
		return 0;
	return tm.tm_gmtoff;
}

dun_time_t
dun_tz_instant(dun_date_t date, int minute_of_day, const char *tz)
{
	dun_time_t guess, t;
	long off;
	int i;

	/* Local wall time read as UTC, then corrected by the zone offset;
	 * two rounds settle DST edges. */
	guess = (dun_time_t)date * 86400 + (dun_time_t)minute_of_day * 60;
	t = guess;
	for (i = 0; i < 3; i++) {
		off = dun_tz_offset(t, tz);
		t = guess - off;
	}
	/* Inside a DST gap the loop lands an hour to one side; either
	 * side is an acceptable send time. */
	return t;
}

int
dun_time_parse(dun_time_t *out, const char *s)
{
	int y, m, d, hh = 0, mm = 0, ss = 0, sign, oh, om;
	size_t len = strlen(s);
	const char *p;
	long off = 0;

	if (len < 10 || parse_ymd(s, &y, &m, &d) < 0)
		goto bad;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (parse_digits(p, 2, &hh) < 0 || p[2] != ':' ||
		    parse_digits(p + 3, 2, &mm) < 0)
			goto bad;
		p += 5;
		if (*p == ':') {
			if (parse_digits(p + 1, 2, &ss) < 0)
				goto bad;
			p += 3;
		}
		if (hh > 23 || mm > 59 || ss > 60)
			goto bad;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (parse_digits(p + 1, 2, &oh) < 0)
			goto bad;
		p += 3;
		if (*p == ':')
			p++;
		if (parse_digits(p, 2, &om) < 0)
			goto bad;
		p += 2;
		off = sign * (oh * 3600L + om * 60L);
	}
	if (*p != '\0')
		goto bad;
	*out = (dun_time_t)dun_date_from_ymd(y, m, d) * 86400 + hh * 3600 +
	    mm * 60 + ss - off;
	return 0;
bad:
	return dun_error_set(DUN_EINVAL, "'%s' is not an ISO-8601 time "
	    "(expected e.g. 2026-11-22T09:30:00Z or 2026-11-22)", s);
}

void
dun_time_format_utc(char out[21], dun_time_t t)
{
	dun_date_t date = (dun_date_t)(t >= 0 ? t / 86400 :
	    (t - 86399) / 86400);
	long sec = (long)(t - (dun_time_t)date * 86400);
	int y, m, d;

	dun_date_to_ymd(date, &y, &m, &d);
	snprintf(out, 21, "%04d-%02d-%02dT%02ld:%02ld:%02ldZ", y % 10000, m,
	    d, sec / 3600, sec / 60 % 60, sec % 60);
}

void
dun_time_format_local(char *out, size_t outlen, dun_time_t t, const char *tz)
{
	struct tm tm;

	if (dun_tz_localtime(&tm, t, tz) < 0) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tz);
}

void
dun_time_format_rfc5322(char *out, size_t outlen, dun_time_t t,
    const char *tz)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (dun_tz_localtime(&tm, t, tz) < 0)
		dun_tz_localtime(&tm, t, "UTC");
	off = tm.tm_gmtoff / 60;
	snprintf(out, outlen, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/*
 * Logging in the manner of OpenSMTPD's log.h: to stderr or syslog, with
 * trace categories switched on by -T or DUNMAIL_TRACE. Protocol traces must
 * redact credentials before calling log_trace().
 */
#ifndef DUNMAIL_LOG_H
#define DUNMAIL_LOG_H

#include <stdarg.h>

enum {
	TRACE_SMTP = 1 << 0,
	TRACE_IMAP = 1 << 1,
	TRACE_CASE = 1 << 2,
	TRACE_SCHED = 1 << 3,
	TRACE_PARSE = 1 << 4,
	TRACE_STORE = 1 << 5,
	TRACE_CLASSIFY = 1 << 6,
	TRACE_ALL = (1 << 7) - 1, /* every category above */
};

void log_init(const char *progname, int use_syslog, int verbose);
void log_set_verbose(int verbose);
int log_get_verbose(void);
/* Called before each syslog() call: timeutil sets it to put the process's
 * own TZ back, since syslog stamps local time (core stays one-way: log
 * below timeutil). */
void log_set_before_syslog(void (*fn)(void));
/* "smtp,imap" or "all" to a mask of TRACE_* (positive, or 0 for ""); -1
 * if a name is not a category. */
int log_parse_trace(const char *spec);
void log_set_trace(int mask);
int log_trace_enabled(int category);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(int category, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif

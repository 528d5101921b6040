/* Logging to stderr or syslog; see log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "dunmail/core/log.h"

static const char *log_progname = "dunmail";
static int log_syslog;
static int log_verbose;
static int log_trace_mask;

static const struct {
	const char *name;
	int bit;
} trace_names[] = {
	{ "smtp", TRACE_SMTP }, { "imap", TRACE_IMAP }, { "case", TRACE_CASE },
	{ "sched", TRACE_SCHED }, { "parse", TRACE_PARSE },
	{ "store", TRACE_STORE }, { "classify", TRACE_CLASSIFY },
};

void
log_init(const char *progname, int use_syslog, int verbose)
{
	const char *env;

	if (progname)
		log_progname = progname;
	log_syslog = use_syslog;
	log_verbose = verbose;
	if (use_syslog)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
	if ((env = getenv("DUNMAIL_TRACE")) != NULL && *env) {
		int mask = log_parse_trace(env);
		if (mask > 0)
			log_trace_mask |= mask;
		else if (mask < 0)
			fprintf(stderr, "%s: DUNMAIL_TRACE: unknown trace "
			    "category in '%s' (smtp, imap, case, sched, parse, "
			    "store, classify or all)\n", log_progname, env);
	}
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

int
log_parse_trace(const char *spec)
{
	char *copy, *tok, *save = NULL;
	int mask = 0;
	size_t i;

	copy = strdup(spec);
	if (copy == NULL)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		/* Not ~0: that is -1, which callers take for an error. */
		if (strcmp(tok, "all") == 0) {
			mask |= TRACE_ALL;
			continue;
		}
		for (i = 0; i < sizeof(trace_names) / sizeof(trace_names[0]); i++)
			if (strcmp(tok, trace_names[i].name) == 0) {
				mask |= trace_names[i].bit;
				found = 1;
			}
		if (!found) {
			free(copy);
			return -1;
		}
	}
	free(copy);
	return mask;
}

void
log_set_trace(int mask)
{
	log_trace_mask = mask;
}

int
log_trace_enabled(int category)
{
	return (log_trace_mask & category) != 0;
}

/* Set by timeutil when it switches TZ (log_set_before_syslog). */
static void (*log_before_syslog)(void);

void
log_set_before_syslog(void (*fn)(void))
{
	log_before_syslog = fn;
}

static void
vlog(int pri, const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		/* syslog() stamps local time: the process's, not the last
		 * debtor's zone a computation switched to. */
		if (log_before_syslog)
			log_before_syslog();
		syslog(pri, "%s%s", prefix, msg);
		return;
	}
	fprintf(stderr, "%s: %s%s\n", log_progname, prefix, msg);
	fflush(stderr);
}

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char msg[4096];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (log_before_syslog)
			log_before_syslog();
		syslog(pri, "%s: %s", msg, strerror(saved));
	} else {
		fprintf(stderr, "%s: %s: %s\n", log_progname, msg,
		    strerror(saved));
		fflush(stderr);
	}
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1 && !log_syslog)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

void
log_trace(int category, const char *fmt, ...)
{
	va_list ap;

	if (!(log_trace_mask & category))
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "trace: ", fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(70); /* EX_SOFTWARE */
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(70);
}

/* The checker an export bundle carries as verify.py (export_checker.c). */
#ifndef DUNMAIL_EXPORT_CHECKER_H
#define DUNMAIL_EXPORT_CHECKER_H

extern const char dun_export_checker[];

#endif

/*
 * The syntax of what the ledger, the config and a person give as an e-mail
 * address: one addr-spec we are willing to send to (a dot-atom local part,
 * a dotted domain, no blanks, controls or specials, so no CR/LF; ASCII
 * only, as send writes no SMTPUTF8: an international domain is given in
 * its xn-- form).
 *
 * Errors: none.
 */
#ifndef DUNMAIL_ADDRESS_H
#define DUNMAIL_ADDRESS_H

/* 1 if addr is such an address, else 0. */
int dun_email_valid(const char *addr);

#endif

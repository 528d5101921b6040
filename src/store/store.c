/* SQLite store: opening, migrations, transactions, debtors, invoices,
 * cases, events and blobs. See store.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dunmail/core/common.h"
#include "dunmail/core/log.h"
#include "store_internal.h"

/*
 * Migrations, applied in order; user_version is the number applied.
 * Never edit a shipped step: add a new one.
 */
static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE debtor ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  language TEXT NOT NULL DEFAULT 'en',"
	"  timezone TEXT NOT NULL,"
	"  region TEXT NOT NULL DEFAULT '',"
	"  opted_out INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE contact ("
	"  id INTEGER PRIMARY KEY,"
	"  debtor_id INTEGER NOT NULL REFERENCES debtor(id),"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  position INTEGER NOT NULL,"
	"  invalid INTEGER NOT NULL DEFAULT 0,"
	"  invalid_reason TEXT,"
	"  UNIQUE(debtor_id, email));"
	"CREATE INDEX contact_email ON contact(email);"
	"CREATE TABLE invoice ("
	"  id INTEGER PRIMARY KEY,"
	"  debtor_id INTEGER NOT NULL REFERENCES debtor(id),"
	"  number TEXT NOT NULL UNIQUE,"
	"  issue_date TEXT NOT NULL,"
	"  due_date TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  amount_minor INTEGER NOT NULL,"
	"  ledger_open_minor INTEGER NOT NULL,"
	"  paid_minor INTEGER NOT NULL DEFAULT 0,"
	"  pdf_path TEXT NOT NULL DEFAULT '',"
	"  pdf_sha256 TEXT NOT NULL DEFAULT '',"
	"  source_hash TEXT NOT NULL);"
	"CREATE INDEX invoice_debtor ON invoice(debtor_id);"
	"CREATE TABLE payment ("
	"  id INTEGER PRIMARY KEY,"
	"  invoice_id INTEGER NOT NULL REFERENCES invoice(id),"
	"  paid_on TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  amount_minor INTEGER NOT NULL,"
	"  reference TEXT NOT NULL,"
	"  UNIQUE(invoice_id, paid_on, amount_minor, reference));"
	"CREATE TABLE dcase ("
	"  id INTEGER PRIMARY KEY,"
	"  invoice_id INTEGER NOT NULL UNIQUE REFERENCES invoice(id),"
	"  state TEXT NOT NULL,"
	"  stage_sent INTEGER NOT NULL DEFAULT -1,"
	"  last_reminder_at INTEGER NOT NULL DEFAULT 0,"
	"  promised_on TEXT,"
	"  promised_minor INTEGER NOT NULL DEFAULT -1,"
	"  broken_promises INTEGER NOT NULL DEFAULT 0,"
	"  hold_until INTEGER NOT NULL DEFAULT 0,"
	"  next_action TEXT NOT NULL DEFAULT 'none',"
	"  next_detail TEXT NOT NULL DEFAULT '',"
	"  next_action_at INTEGER NOT NULL DEFAULT 0,"
	"  opened_at INTEGER NOT NULL,"
	"  closed_at INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX dcase_state ON dcase(state);"
	/* Both directions. Outbound rows carry the outbox state; inbound
	 * rows the (mailbox, uidvalidity, uid) key. Raw bytes live in the
	 * blob directory under sha256. */
	"CREATE TABLE message ("
	"  id INTEGER PRIMARY KEY,"
	"  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),"
	"  kind TEXT NOT NULL,"
	"  debtor_id INTEGER REFERENCES debtor(id),"
	"  message_id TEXT NOT NULL DEFAULT '',"
	"  in_reply_to TEXT NOT NULL DEFAULT '',"
	"  refs TEXT NOT NULL DEFAULT '',"
	"  token TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  to_addrs TEXT NOT NULL DEFAULT '',"
	"  sha256 TEXT NOT NULL DEFAULT '',"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  template TEXT NOT NULL DEFAULT '',"
	"  language TEXT NOT NULL DEFAULT '',"
	"  outbox_state TEXT NOT NULL DEFAULT '',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  smtp_reply TEXT NOT NULL DEFAULT '',"
	"  sent_at INTEGER NOT NULL DEFAULT 0,"
	"  mailbox TEXT NOT NULL DEFAULT '',"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0,"
	"  date_header INTEGER NOT NULL DEFAULT 0,"
	"  class TEXT NOT NULL DEFAULT '',"
	"  folder TEXT NOT NULL DEFAULT '',"
	"  processed INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	/* Outbox (src/store/store_outbox.c): 1 once the copy is in the IMAP Sent
	 * folder, -1 if none is wanted; the last transport error. */
	"  sent_copy INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	/* Inbound (src/store/store_inbound.c): when the reply was filed into its
	 * folder on the server (0 = not yet); 1 if only its header was
	 * fetched (over the size cap); 1 if the sender is a contact of the
	 * matched debtor; how it was matched (thread, token, invoice,
	 * sender, bounce, none). */
	"  filed_at INTEGER NOT NULL DEFAULT 0,"
	"  truncated INTEGER NOT NULL DEFAULT 0,"
	"  sender_contact INTEGER NOT NULL DEFAULT 0,"
	"  match_method TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX message_inbound ON message(mailbox, uidvalidity,"
	"  uid) WHERE direction = 'in' AND uid > 0;"
	"CREATE INDEX message_mid ON message(message_id);"
	"CREATE INDEX message_token ON message(token);"
	"CREATE INDEX message_outbox ON message(outbox_state)"
	"  WHERE direction = 'out';"
	"CREATE INDEX message_sha ON message(sha256);"
	"CREATE INDEX message_unfiled ON message(mailbox, id)"
	"  WHERE direction = 'in' AND filed_at = 0;"
	"CREATE TABLE message_case ("
	"  message_id INTEGER NOT NULL REFERENCES message(id),"
	"  case_id INTEGER NOT NULL REFERENCES dcase(id),"
	"  stage TEXT NOT NULL DEFAULT '',"
	"  stage_index INTEGER NOT NULL DEFAULT -1,"
	"  skipped TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (message_id, case_id));"
	"CREATE INDEX message_case_case ON message_case(case_id);"
	"CREATE TABLE recipient ("
	"  message_id INTEGER NOT NULL REFERENCES message(id),"
	"  address TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending',"
	"  smtp_code INTEGER NOT NULL DEFAULT 0,"
	"  reply TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (message_id, address));"
	"CREATE TABLE classification ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES message(id),"
	"  class TEXT NOT NULL,"
	"  confidence REAL NOT NULL,"
	"  rule TEXT NOT NULL DEFAULT '',"
	"  evidence TEXT NOT NULL DEFAULT '',"
	"  promised_on TEXT,"
	"  amount_minor INTEGER,"
	"  currency TEXT,"
	"  language TEXT NOT NULL DEFAULT '',"
	"  candidates TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE mailbox ("
	"  name TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE handoff ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES dcase(id),"
	"  message_id INTEGER REFERENCES message(id),"
	"  reason TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  resolved_at INTEGER NOT NULL DEFAULT 0,"
	"  resolution TEXT NOT NULL DEFAULT '',"
	"  operator TEXT NOT NULL DEFAULT '',"
	"  note TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX handoff_open ON handoff(resolved_at, created_at);"
	"CREATE TABLE blob ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  stored_at INTEGER NOT NULL);"
	/* The trail: append-only, hash-chained. Triggers refuse edits so a
	 * slip in code cannot rewrite history; verify catches the rest. */
	"CREATE TABLE event ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  case_id INTEGER NOT NULL DEFAULT 0,"
	"  debtor_id INTEGER NOT NULL DEFAULT 0,"
	"  message_id INTEGER NOT NULL DEFAULT 0,"
	"  message_sha256 TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX event_case ON event(case_id);"
	/* The scheduler finds the answers cases asked for by kind and time
	 * (src/store/store_outbound.c). */
	"CREATE INDEX event_kind_at ON event(kind, at);"
	"CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
	"  BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;"
	"CREATE TRIGGER event_no_delete BEFORE DELETE ON event"
	"  BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;",
	/* 2: a debtor's messages, for threading the next reminder and for
	 * the "reply not yet processed" stop check before each send. */
	"CREATE INDEX message_debtor ON message(debtor_id, direction,"
	"  created_at);"
	/* Raw messages move into the store: one file per message cost an
	 * inode, a rename and two fsyncs each; a row rides on the commit
	 * that refers to it. Rows from before keep data NULL and their
	 * file under <db>.blobs/. Stored bytes are never rewritten. */
	"ALTER TABLE blob ADD COLUMN data BLOB;"
	"CREATE TRIGGER blob_no_update BEFORE UPDATE ON blob"
	"  BEGIN SELECT RAISE(ABORT, 'stored messages are never "
	"rewritten'); END;"
	"CREATE TRIGGER blob_no_delete BEFORE DELETE ON blob"
	"  BEGIN SELECT RAISE(ABORT, 'stored messages are never "
	"deleted'); END;",
	/* 3: every event carries the images of the state rows it changed
	 * ("state_rows"), so verify replays the trail into the tables. Events
	 * from before carry none: store_baseline() writes the rows as they
	 * are into `baseline` events, from which the replay starts. */
	"SELECT 1;",
};

#define SCHEMA_STATE_IN_TRAIL 3

/*
 * The state tables and the columns of each that the trail carries
 * (store_internal.h). Only what decides what dunmail does: not the
 * outbox's delivery bookkeeping, IMAP keys or timestamps of convenience.
 */
const struct store_tracked store__tracked[STORE_T_COUNT] = {
	[STORE_T_DEBTOR] = { "debtor", "json_object('ref', ref, 'name', "
	    "name, 'language', language, 'timezone', timezone, 'region', "
	    "region, 'opted_out', opted_out)", "ref" },
	[STORE_T_CONTACT] = { "contact", "json_object('debtor_id', "
	    "debtor_id, 'email', email, 'position', position, 'invalid', "
	    "invalid, 'invalid_reason', invalid_reason)", "email" },
	[STORE_T_INVOICE] = { "invoice", "json_object('debtor_id', "
	    "debtor_id, 'number', number, 'issue_date', issue_date, "
	    "'due_date', due_date, 'currency', currency, 'amount_minor', "
	    "amount_minor, 'ledger_open_minor', ledger_open_minor, "
	    "'paid_minor', paid_minor, 'pdf_path', pdf_path, 'pdf_sha256', "
	    "pdf_sha256)", "number" },
	[STORE_T_PAYMENT] = { "payment", "json_object('invoice_id', "
	    "invoice_id, 'paid_on', paid_on, 'currency', currency, "
	    "'amount_minor', amount_minor, 'reference', reference)",
	    "reference" },
	[STORE_T_CASE] = { "dcase", "json_object('invoice_id', invoice_id, "
	    "'state', state, 'stage_sent', stage_sent, 'last_reminder_at', "
	    "last_reminder_at, 'promised_on', promised_on, 'promised_minor', "
	    "promised_minor, 'broken_promises', broken_promises, "
	    "'hold_until', hold_until, 'next_action', next_action, "
	    "'next_detail', next_detail, 'next_action_at', next_action_at, "
	    "'opened_at', opened_at, 'closed_at', closed_at)",
	    "(SELECT number FROM invoice WHERE invoice.id = invoice_id)" },
	[STORE_T_HANDOFF] = { "handoff", "json_object('case_id', case_id, "
	    "'message_id', message_id, 'reason', reason, 'created_at', "
	    "created_at, 'resolved_at', resolved_at, 'resolution', "
	    "resolution, 'operator', operator, 'note', note)", "reason" },
	[STORE_T_MESSAGE] = { "message", "json_object('direction', "
	    "direction, 'kind', kind, 'debtor_id', debtor_id, 'sha256', "
	    "sha256, 'message_id', message_id, 'token', token, 'subject', "
	    "subject, 'from_addr', from_addr, 'class', class, "
	    "'sender_contact', sender_contact, 'match_method', match_method)",
	    "direction || ' ' || kind" },
	[STORE_T_MESSAGE_CASE] = { "message_case", "json_object('message_id',"
	    " message_id, 'case_id', case_id, 'stage', stage, 'stage_index', "
	    "stage_index, 'skipped', skipped)", "'message ' || message_id || "
	    "', case ' || case_id" },
	[STORE_T_RECIPIENT] = { "recipient", "json_object('message_id', "
	    "message_id, 'address', address)", "address" },
};

/*
 * One error for every failed SQLite call: what failed, SQLite's words, and
 * for a full disk what to do. SQLite rolls the statement (and with it our
 * transaction) back, so the store stays as the last commit left it.
 */
static int
store_fail(struct dun_store *store, const char *what, const char *msg)
{
	int code = sqlite3_errcode(store->db);
	int sys = sqlite3_system_errno(store->db);
	int rc;

	if (code == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		rc = dun_error_set(DUN_ESTORE, "store %s: %s%s%s: the disk "
		    "is full (%s); nothing was written: free space on its "
		    "file system and run the command again", store->path,
		    what ? what : "", what ? ": " : "", msg,
		    strerror(sys ? sys : ENOSPC));
	else
		rc = dun_error_set(DUN_ESTORE, "store %s: %s%s%s",
		    store->path, what ? what : "", what ? ": " : "", msg);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		dun_error_set_retry(DUN_RETRY_TEMP);
	else if (code == SQLITE_FULL || (code & 0xff) == SQLITE_IOERR)
		dun_error_set_retry(DUN_RETRY_WAIT);
	return rc;
}

int
store__error(struct dun_store *store, const char *what)
{
	return store_fail(store, what, sqlite3_errmsg(store->db));
}

static unsigned
stmt_slot(const char *sql)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 16777619u;
	return h & (STORE_STMT_SLOTS - 1);
}

/* The slot holding sql, or the free slot where it would go, or NULL when
 * the table is full along the probe (then the statement is not cached). */
static struct store_stmt *
stmt_find(struct dun_store *store, const char *sql)
{
	unsigned i, slot = stmt_slot(sql);

	for (i = 0; i < STORE_STMT_SLOTS; i++) {
		struct store_stmt *c = &store->stmts[(slot + i) &
		    (STORE_STMT_SLOTS - 1)];
		if (c->sql == NULL || strcmp(c->sql, sql) == 0)
			return c;
	}
	return NULL;
}

sqlite3_stmt *
store__prepare(struct dun_store *store, const char *sql)
{
	struct store_stmt *c = stmt_find(store, sql);
	sqlite3_stmt *st = NULL;

	if (c && c->sql && !c->busy) {
		c->busy = 1;
		return c->st;
	}
	/* A statement in use (a nested call running the same query) gets
	 * a private copy, finalized when finished. */
	if (sqlite3_prepare_v3(store->db, sql, -1, c && c->sql == NULL ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK) {
		store__error(store, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	if (c && c->sql == NULL) {
		c->sql = xstrdup(sql);
		c->st = st;
		c->busy = 1;
	}
	return st;
}

void
store__finish(struct dun_store *store, sqlite3_stmt *st)
{
	struct store_stmt *c;
	size_t i;

	if (st == NULL)
		return;
	c = stmt_find(store, sqlite3_sql(st));
	if (c == NULL || c->st != st) {
		/* sqlite3_sql gives only the first statement of a longer
		 * text: look by pointer before deciding it was a copy. */
		for (i = 0, c = NULL; i < STORE_STMT_SLOTS && c == NULL; i++)
			if (store->stmts[i].st == st)
				c = &store->stmts[i];
	}
	if (c == NULL) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	c->busy = 0;
}

static void
stmt_cache_clear(struct dun_store *store)
{
	size_t i;

	for (i = 0; i < STORE_STMT_SLOTS; i++) {
		sqlite3_finalize(store->stmts[i].st);
		free(store->stmts[i].sql);
	}
	memset(store->stmts, 0, sizeof(store->stmts));
}

int
store__exec(struct dun_store *store, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		int rc = store_fail(store, NULL,
		    err ? err : sqlite3_errmsg(store->db));
		sqlite3_free(err);
		return rc;
	}
	return 0;
}

const char *
store__col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

char *
store__col_text(sqlite3_stmt *st, int col)
{
	return xstrdup(store__col_str(st, col));
}

int
store__bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

static int store_baseline(struct dun_store *store);

static int
store_migrate(struct dun_store *store)
{
	sqlite3_stmt *st;
	int version = 0, rc = 0;
	size_t i;
	char sql[64];

	if ((st = store__prepare(store, "PRAGMA user_version")) == NULL)
		return DUN_ESTORE;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	store__finish(store, st);
	if (version > (int)DUN_ARRAY_SIZE(migrations))
		return dun_error_set(DUN_ESTORE, "store %s has schema version "
		    "%d, newer than this dunmail knows (%zu); upgrade dunmail",
		    store->path, version, DUN_ARRAY_SIZE(migrations));
	for (i = (size_t)version; i < DUN_ARRAY_SIZE(migrations); i++) {
		if ((rc = dun_store_begin(store)) < 0)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if ((rc = store__exec(store, migrations[i])) < 0 ||
		    (i + 1 == SCHEMA_STATE_IN_TRAIL &&
		    (rc = store_baseline(store)) < 0) ||
		    (rc = store__exec(store, sql)) < 0) {
			dun_store_rollback(store);
			return rc;
		}
		if ((rc = dun_store_commit(store)) < 0)
			return rc;
		log_debug("store migrated to schema %zu", i + 1);
	}
	return 0;
}

/*
 * Another connection holds the write lock (a second sending process, a
 * poll run beside a send). SQLite's own timeout handler sleeps at least
 * a millisecond per try, far longer than a commit here takes, so wait in
 * short naps for the first tries and give up after BUSY_WAIT_MS.
 */
#define BUSY_WAIT_MS 10000

static int
store_busy(void *arg, int tries)
{
	struct dun_store *store = arg;
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (tries == 0)
		store->busy_since_ms = ms;
	else if (ms - store->busy_since_ms > BUSY_WAIT_MS)
		return 0;
	usleep(tries < 200 ? 50 : 2000);
	return 1;
}

static int
store_open(struct dun_store **out, const char *path, int create)
{
	struct dun_store *store;
	struct stat st;
	int fd, rc;

	*out = NULL;
	/* Create the file ourselves so it is 0600 from the first byte. */
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0 && errno == ENOENT && !create)
		return dun_error_set(DUN_ENOTFOUND, "store %s does not exist",
		    path);
	if (fd < 0)
		return dun_error_set_errno(DUN_ESTORE, "cannot open store %s",
		    path);
	/* One made before, or copied in, may be open to others: the store
	 * holds every debtor's mail. SQLite gives the -wal and -shm files
	 * the mode of the database. */
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 &&
	    fchmod(fd, 0600) < 0)
		log_warn("store %s is readable by others and could not be "
		    "made private (chmod 600 it)", path);
	close(fd);
	store = xcalloc(1, sizeof(*store));
	store->path = xstrdup(path);
	store->blob_dir = xasprintf("%s.blobs", path);
	if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = store__error(store, "open");
		goto fail;
	}
	sqlite3_busy_handler(store->db, store_busy, store);
	sqlite3_extended_result_codes(store->db, 1);
	if ((rc = store__exec(store, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")) < 0)
		goto fail;
	if ((rc = store_migrate(store)) < 0)
		goto fail;
	/* -wal and -shm left from before the store was made private. */
	{
		char *wal = xasprintf("%s-wal", path);
		char *shm = xasprintf("%s-shm", path);
		chmod(wal, 0600);
		chmod(shm, 0600);
		free(wal);
		free(shm);
	}
	*out = store;
	return 0;
fail:
	dun_store_close(store);
	return rc;
}

int
dun_store_open(struct dun_store **out, const char *path)
{
	return store_open(out, path, 1);
}

int
dun_store_open_existing(struct dun_store **out, const char *path)
{
	return store_open(out, path, 0);
}

void
dun_store_close(struct dun_store *store)
{
	if (store == NULL)
		return;
	stmt_cache_clear(store);
	if (store->db)
		sqlite3_close_v2(store->db);
	free(store->path);
	free(store->blob_dir);
	free(store->notes);
	free(store);
}

int
dun_store_schema_version(struct dun_store *store)
{
	sqlite3_stmt *st = store__prepare(store, "PRAGMA user_version");
	int v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	store__finish(store, st);
	return v;
}

const char *
dun_store_path(const struct dun_store *store)
{
	return store->path;
}

const char *
dun_store_blob_dir(const struct dun_store *store)
{
	return store->blob_dir;
}

int
dun_store_begin(struct dun_store *store)
{
	int rc;

	if (store->tx_depth++ > 0)
		return 0;
	store->tx_failed = 0;
	if ((rc = store__exec(store, "BEGIN IMMEDIATE")) < 0)
		store->tx_depth = 0;
	return rc;
}

static int notes_event(struct dun_store *store, const char *kind);

int
dun_store_commit(struct dun_store *store)
{
	int rc;

	if (store->tx_depth == 0)
		return dun_error_set(DUN_ESTORE, "commit without begin");
	/* Rows changed after the transaction's last event go into the
	 * trail too, in an event of their own. */
	if (store->tx_depth == 1 && !store->tx_failed && store->nnotes > 0 &&
	    (rc = notes_event(store, "state")) < 0) {
		dun_store_rollback(store);
		return rc;
	}
	if (--store->tx_depth > 0)
		return 0;
	store->nnotes = 0;
	if (store->tx_failed) {
		store__exec(store, "ROLLBACK");
		return dun_error_set(DUN_ESTORE, "transaction rolled back "
		    "after an earlier failure");
	}
	if ((rc = store__exec(store, "COMMIT")) < 0) {
		/* Keep the failure (disk full, I/O) and leave nothing half
		 * done: the whole transaction goes. */
		char saved[1024];
		snprintf(saved, sizeof(saved), "%s", dun_error_last());
		store__exec(store, "ROLLBACK");
		dun_error_set(DUN_ESTORE, "%s", saved);
		dun_error_set_retry(DUN_RETRY_WAIT);
	}
	return rc;
}

void
dun_store_rollback(struct dun_store *store)
{
	if (store->tx_depth == 0)
		return;
	if (--store->tx_depth > 0) {
		store->tx_failed = 1;
		return;
	}
	store->nnotes = 0;
	store__exec(store, "ROLLBACK");
}

/*
 * The trail's rows. Appending lives here, beside the transactions, so that
 * a commit can put rows changed after the transaction's last event into
 * an event of their own; trail.c fills in what an event refers to.
 */

void
dun_store__event_hash(char out[65], const struct dun_event *ev)
{
	struct dun_buf b = DUN_BUF_INIT;

	/* Version tag first so the canonical form can change safely. */
	dun_buf_printf(&b, "dunmail-event-v1\n%lld\n%lld\n%s\n%lld\n%lld\n"
	    "%lld\n%s\n%s\n%s", (long long)ev->seq, (long long)ev->at,
	    ev->kind, (long long)ev->case_id, (long long)ev->debtor_id,
	    (long long)ev->message_id,
	    ev->message_sha256 ? ev->message_sha256 : "", ev->detail,
	    ev->prev_hash);
	dun_sha256_hex(out, b.data, b.len);
	dun_buf_free(&b);
}

int
dun_store__event_last_hash(struct dun_store *store, char out[65],
    int64_t *seq_out)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT seq, hash FROM event "
	    "ORDER BY seq DESC LIMIT 1");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq_out = sqlite3_column_int64(st, 0);
		snprintf(out, 65, "%s", store__col_str(st, 1));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		memset(out, '0', 64);
		out[64] = '\0';
		*seq_out = 0;
		rc = 0;
	} else
		rc = store__error(store, "read last event");
	store__finish(store, st);
	return rc;
}

static int
event_insert(struct dun_store *store, const struct dun_event *ev)
{
	sqlite3_stmt *st = store__prepare(store, "INSERT INTO event (seq, at, "
	    "kind, case_id, debtor_id, message_id, message_sha256, detail, "
	    "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, ev->seq);
	sqlite3_bind_int64(st, 2, ev->at);
	store__bind_text(st, 3, ev->kind);
	sqlite3_bind_int64(st, 4, ev->case_id);
	sqlite3_bind_int64(st, 5, ev->debtor_id);
	sqlite3_bind_int64(st, 6, ev->message_id);
	store__bind_text(st, 7, ev->message_sha256 ? ev->message_sha256 : "");
	store__bind_text(st, 8, ev->detail);
	store__bind_text(st, 9, ev->prev_hash);
	store__bind_text(st, 10, ev->hash);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "append event");
	store__finish(store, st);
	return rc;
}

/* The detail given, with "state_rows": the images of the noted rows (null
 * for one deleted), and the notes taken. */
static int
notes_splice(struct dun_store *store, struct dun_buf *out, const char *given)
{
	sqlite3_stmt *st;
	size_t i, len = strlen(given);
	int rc = 0;

	while (len > 0 && given[len - 1] != '}')
		len--;
	if (len == 0) {
		given = "{}";
		len = 2;
	}
	dun_buf_add(out, given, len - 1);
	dun_buf_puts(out, len > 2 ? ",\"state_rows\":[" :
	    "\"state_rows\":[");
	for (i = 0; i < store->nnotes && rc == 0; i++) {
		const struct store_note *n = &store->notes[i];
		char *sql = xasprintf("SELECT %s FROM %s WHERE rowid = ?1",
		    store__tracked[n->table].image,
		    store__tracked[n->table].table);

		st = store__prepare(store, sql);
		free(sql);
		if (st == NULL)
			return DUN_ESTORE;
		sqlite3_bind_int64(st, 1, n->rowid);
		rc = sqlite3_step(st);
		dun_buf_printf(out, "%s{\"t\":\"%s\",\"k\":%lld,\"row\":%s}",
		    i ? "," : "", store__tracked[n->table].table,
		    (long long)n->rowid, rc == SQLITE_ROW ?
		    store__col_str(st, 0) : "null");
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
		    store__error(store, "read a changed row");
		store__finish(store, st);
	}
	dun_buf_puts(out, "]}");
	store->nnotes = 0;
	return rc;
}

int
dun_store__event_append(struct dun_store *store, struct dun_event *ev)
{
	struct dun_buf detail = DUN_BUF_INIT;
	char *given = ev->detail;
	int64_t last_seq;
	int rc;

	if ((rc = dun_store_begin(store)) < 0)
		return rc;
	if ((rc = dun_store__event_last_hash(store, ev->prev_hash,
	    &last_seq)) < 0)
		goto fail;
	ev->seq = last_seq + 1;
	if (store->nnotes > 0) {
		if ((rc = notes_splice(store, &detail, given)) < 0)
			goto fail;
		ev->detail = detail.data;
	}
	dun_store__event_hash(ev->hash, ev);
	rc = event_insert(store, ev);
	ev->detail = given;
	if (rc < 0)
		goto fail;
	dun_buf_free(&detail);
	return dun_store_commit(store);
fail:
	ev->detail = given;
	dun_buf_free(&detail);
	dun_store_rollback(store);
	return rc;
}

/* An event of its own for the rows noted: at a commit, or at once for a
 * change made outside a transaction. The store has no caller's `now`
 * here and reads no clock: it is dated as the event before it. */
static int
notes_event(struct dun_store *store, const char *kind)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT at FROM event "
	    "ORDER BY seq DESC LIMIT 1");
	struct dun_event ev;

	memset(&ev, 0, sizeof(ev));
	if (st == NULL)
		return DUN_ESTORE;
	if (sqlite3_step(st) == SQLITE_ROW)
		ev.at = sqlite3_column_int64(st, 0);
	store__finish(store, st);
	ev.kind = (char *)kind;
	ev.detail = strcmp(kind, "baseline") == 0 ? (char *)"{\"note\":"
	    "\"the rows as the store held them when the trail began to "
	    "carry them (schema 3)\"}" : (char *)"{\"note\":\"rows changed "
	    "after the last event of their transaction\"}";
	return dun_store__event_append(store, &ev);
}

int
store__note(struct dun_store *store, enum store_table t, int64_t rowid)
{
	size_t i;

	/* The same row twice in a row of changes: its image is read once. */
	for (i = store->nnotes; i > 0 && i + 32 > store->nnotes; i--)
		if (store->notes[i - 1].table == t &&
		    store->notes[i - 1].rowid == rowid)
			return 0;
	if (store->nnotes == store->notes_cap) {
		store->notes_cap = store->notes_cap ? store->notes_cap * 2 : 16;
		store->notes = xreallocarray(store->notes, store->notes_cap,
		    sizeof(*store->notes));
	}
	store->notes[store->nnotes].table = t;
	store->notes[store->nnotes++].rowid = rowid;
	return store->tx_depth == 0 ? notes_event(store, "state") : 0;
}

int
store__note_query(struct dun_store *store, enum store_table t,
    const char *sql, int64_t a, int64_t b, const char *text)
{
	sqlite3_stmt *st = store__prepare(store, sql);
	int64_t *ids = NULL;
	size_t i, n = 0;
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	/* A parameter sql does not use is not bound (SQLITE_RANGE). */
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (text)
		store__bind_text(st, 3, text);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "find changed rows");
	store__finish(store, st);
	for (i = 0; i < n && rc == 0; i++)
		rc = store__note(store, t, ids[i]);
	free(ids);
	return rc;
}

/* Schema 3: the state rows as they are, 500 to a `baseline` event, so
 * verify can replay a store whose earlier events carry no rows. */
static int
store_baseline(struct dun_store *store)
{
	sqlite3_stmt *st;
	char *sql;
	size_t t;
	int rc = 0;

	for (t = 0; t < STORE_T_COUNT && rc == 0; t++) {
		sql = xasprintf("SELECT rowid FROM %s ORDER BY rowid",
		    store__tracked[t].table);
		st = store__prepare(store, sql);
		free(sql);
		if (st == NULL)
			return DUN_ESTORE;
		while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			rc = store__note(store, (enum store_table)t,
			    sqlite3_column_int64(st, 0));
			if (rc == 0 && store->nnotes >= 500)
				rc = notes_event(store, "baseline");
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = store__error(store, "read rows for the baseline");
		store__finish(store, st);
	}
	if (rc == 0 && store->nnotes > 0)
		rc = notes_event(store, "baseline");
	return rc;
}

/* Debtors. */

static int
contacts_replace(struct dun_store *store, int64_t debtor_id,
    const struct dun_debtor *d)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	/* Every contact of the debtor, before and after: the trail gets
	 * the ones removed (as gone) and the ones kept or added. */
	if ((rc = store__note_query(store, STORE_T_CONTACT, "SELECT id FROM "
	    "contact WHERE debtor_id = ?1", debtor_id, 0, NULL)) < 0)
		return rc;
	/* Keep invalid marks on addresses that stay. */
	st = store__prepare(store, "DELETE FROM contact WHERE debtor_id = ?1"
	    " AND email NOT IN (SELECT value FROM json_each(?2))");
	if (st == NULL)
		return DUN_ESTORE;
	{
		struct dun_buf json = DUN_BUF_INIT;
		dun_buf_puts(&json, "[");
		for (i = 0; i < d->nemails; i++) {
			dun_buf_puts(&json, i ? ",\"" : "\"");
			dun_json_escape(&json, d->emails[i]);
			dun_buf_puts(&json, "\"");
		}
		dun_buf_puts(&json, "]");
		sqlite3_bind_int64(st, 1, debtor_id);
		store__bind_text(st, 2, json.data);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store__error(store, "delete contacts");
		dun_buf_free(&json);
	}
	store__finish(store, st);
	if (rc < 0)
		return rc;
	st = store__prepare(store, "INSERT INTO contact (debtor_id, email, "
	    "position) VALUES (?1, ?2, ?3) ON CONFLICT (debtor_id, email) "
	    "DO UPDATE SET position = excluded.position");
	if (st == NULL)
		return DUN_ESTORE;
	for (i = 0; i < d->nemails && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, debtor_id);
		store__bind_text(st, 2, d->emails[i]);
		sqlite3_bind_int(st, 3, (int)i);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store__error(store, "insert contact");
		sqlite3_reset(st);
	}
	store__finish(store, st);
	if (rc == 0)
		rc = store__note_query(store, STORE_T_CONTACT, "SELECT id FROM "
		    "contact WHERE debtor_id = ?1", debtor_id, 0, NULL);
	return rc;
}

static int
debtor_same(const struct dun_debtor *a, const struct dun_debtor *b)
{
	size_t i;

	if (strcmp(a->name, b->name) || strcmp(a->language, b->language) ||
	    strcmp(a->timezone, b->timezone) || strcmp(a->region, b->region) ||
	    a->nemails != b->nemails)
		return 0;
	for (i = 0; i < a->nemails; i++)
		if (strcasecmp(a->emails[i], b->emails[i]))
			return 0;
	return 1;
}

int
dun_store_debtor_upsert(struct dun_store *store, int64_t *id_out,
    const struct dun_debtor *d, int *changed_out)
{
	struct dun_debtor *old = NULL;
	sqlite3_stmt *st;
	int64_t old_id;
	int rc;

	*changed_out = 0;
	rc = dun_store_debtor_by_ref(store, &old, d->ref);
	if (rc < 0 && rc != DUN_ENOTFOUND)
		return rc;
	if (old && debtor_same(old, d)) {
		*id_out = old->id;
		dun_debtor_free(old);
		return 0;
	}
	if (old) {
		st = store__prepare(store, "UPDATE debtor SET name = ?2, "
		    "language = ?3, timezone = ?4, region = ?5, updated_at = "
		    "strftime('%s','now') WHERE id = ?1");
		if (st == NULL) {
			dun_debtor_free(old);
			return DUN_ESTORE;
		}
		sqlite3_bind_int64(st, 1, old->id);
		*id_out = old->id;
	} else {
		st = store__prepare(store, "INSERT INTO debtor (ref, name, "
		    "language, timezone, region, created_at, updated_at) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, strftime('%s','now'), "
		    "strftime('%s','now'))");
		if (st == NULL)
			return DUN_ESTORE;
		store__bind_text(st, 1, d->ref);
	}
	store__bind_text(st, 2, d->name);
	store__bind_text(st, 3, d->language);
	store__bind_text(st, 4, d->timezone);
	store__bind_text(st, 5, d->region);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store__error(store, "save debtor");
	store__finish(store, st);
	if (rc == 0 && !old)
		*id_out = sqlite3_last_insert_rowid(store->db);
	old_id = old ? old->id : 0;
	dun_debtor_free(old);
	if (rc == 0)
		rc = store__note(store, STORE_T_DEBTOR, *id_out);
	if (rc == 0)
		rc = contacts_replace(store, *id_out, d);
	if (rc == 0)
		*changed_out = old_id ? 1 : 2;
	return rc;
}

static int
debtor_load_contacts(struct dun_store *store, struct dun_debtor *d)
{
	sqlite3_stmt *st = store__prepare(store, "SELECT email, invalid FROM "
	    "contact WHERE debtor_id = ?1 ORDER BY position");
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, d->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->emails = xreallocarray(d->emails, d->nemails + 1,
		    sizeof(char *));
		d->email_invalid = xreallocarray(d->email_invalid,
		    d->nemails + 1, sizeof(int));
		d->emails[d->nemails] = store__col_text(st, 0);
		d->email_invalid[d->nemails] = sqlite3_column_int(st, 1);
		d->nemails++;
	}
	rc = rc == SQLITE_DONE ? 0 : store__error(store, "load contacts");
	store__finish(store, st);
	return rc;
}

static int
debtor_query(struct dun_store *store, struct dun_debtor **out,
    const char *where, const char *text, int64_t id)
{
	char *sql = xasprintf("SELECT id, ref, name, language, timezone, "
	    "region, opted_out FROM debtor WHERE %s", where);
	sqlite3_stmt *st = store__prepare(store, sql);
	struct dun_debtor *d;
	int rc;

	free(sql);
	*out = NULL;
	if (st == NULL)
		return DUN_ESTORE;
	if (text)
		store__bind_text(st, 1, text);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? dun_error_set(DUN_ENOTFOUND,
		    "no debtor %s", text ? text : "with that id") :
		    store__error(store, "load debtor");
		store__finish(store, st);
		return rc;
	}
	d = xcalloc(1, sizeof(*d));
	d->id = sqlite3_column_int64(st, 0);
	d->ref = store__col_text(st, 1);
	d->name = store__col_text(st, 2);
	d->language = store__col_text(st, 3);
	d->timezone = store__col_text(st, 4);
	d->region = store__col_text(st, 5);
	d->opted_out = sqlite3_column_int(st, 6);
	store__finish(store, st);
	if ((rc = debtor_load_contacts(store, d)) < 0) {
		dun_debtor_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int
dun_store_debtor_get(struct dun_store *store, struct dun_debtor **out,
    int64_t id)
{
	return debtor_query(store, out, "id = ?1", NULL, id);
}

int
dun_store_debtor_by_ref(struct dun_store *store, struct dun_debtor **out,
    const char *ref)
{
	return debtor_query(store, out, "ref = ?1", ref, 0);
}

int
dun_store_debtor_by_email(struct dun_store *store, struct dun_debtor **out,
    const char *email)
{
	return debtor_query(store, out, "id = (SELECT debtor_id FROM contact "
	    "WHERE email = ?1 ORDER BY invalid, id LIMIT 1)", email, 0);
}

static int
exec_bound(struct dun_store *store, const char *sql, int64_t a,
    int64_t b, const char *t1, const char *t2, const char *what)
{
	sqlite3_stmt *st = store__prepare(store, sql);
	int rc;

	if (st == NULL)
		return DUN_ESTORE;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (t1)
		store__bind_text(st, 3, t1);
	if (t2)
		store__bind_text(st, 4, t2);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__error(store, what);
	if (rc == 0 && sqlite3_changes(store->db) == 0)
		rc = dun_error_set(DUN_ENOTFOUND, "%s: no such row", what);
	store__finish(store, st);
	return rc;
}

int
dun_store_debtor_set_opt_out(struct dun_store *store, int64_t debtor_id,
    int opted_out)
{
	int rc = exec_bound(store, "UPDATE debtor SET opted_out = ?2, "
	    "updated_at = strftime('%s','now') WHERE id = ?1", debtor_id,
	    opted_out, NULL, NULL, "set opt-out");

	return rc < 0 ? rc : store__note(store, STORE_T_DEBTOR, debtor_id);
}

int
dun_store_contact_set_invalid(struct dun_store *store, int64_t debtor_id,
    const char *email, int invalid, const char *reason)
{
	int rc = exec_bound(store, "UPDATE contact SET invalid = ?2, "
	    "invalid_reason = ?4 WHERE debtor_id = ?1 AND email = ?3",
	    debtor_id, invalid, email, reason ? reason : "",
	    "mark contact");

	return rc < 0 ? rc : store__note_query(store, STORE_T_CONTACT,
	    "SELECT id FROM contact WHERE debtor_id = ?1 AND email = ?3",
	    debtor_id, 0, email);
}

void
dun_debtor_free(struct dun_debtor *d)
{
	size_t i;

	if (d == NULL)
		return;
	free(d->ref);
	free(d->name);
	free(d->language);
	free(d->timezone);
	free(d->region);
	for (i = 0; i < d->nemails; i++)
		free(d->emails[i]);
	free(d->emails);
	free(d->email_invalid);
	free(d);
}

int
dun_store_set_relaxed(struct dun_store *store, int relaxed)
{
	/* SQLite cannot change it inside a transaction; the enclosing
	 * one then commits as it would have anyway, with a sync. */
	if (store->tx_depth > 0)
		return 0;
	/* WAL with synchronous = NORMAL: a commit is written but not
	 * fsynced; the next FULL commit's fsync covers it. */
	return store__exec(store, relaxed ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL");
}

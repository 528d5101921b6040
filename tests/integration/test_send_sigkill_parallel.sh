#!/usr/bin/env bash
# The SIGKILL test again with `[smtp] connections = 4`: worker processes
# (one per CPU, up to two here) each sending two messages at a time with
# one 'sending' commit per round. Killing the run leaves its workers to
# finish and hold the lock; the same counts must hold.
exec env SIGKILL_CONNECTIONS=4 bash "$(dirname "${BASH_SOURCE[0]}")/test_send_sigkill.sh" "$@"

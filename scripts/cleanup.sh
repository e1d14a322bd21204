#!/usr/bin/env bash
# The cron fallback for Storekeeper's cleanup. Does nothing while
# the daemon is healthy — it runs its own scheduled cleanups — and otherwise
# runs `storekeeper clean` once. Safe to run at any time: every cleanup takes
# .storekeeper/cleanup.lock, so it never overlaps the daemon or another run.
#
# Healthy means what `storekeeper stats --json` reports as daemon.running:
# the health file's pid is alive, its state is starting/running and it was
# rewritten within the last 10 seconds.
#
# Install (scripts/install.sh puts it in /usr/local/lib/storekeeper/) and run
# it as the user that owns the storage tree, e.g. in /etc/cron.d/storekeeper:
#   0 2 * * * media /usr/local/lib/storekeeper/cleanup.sh
#
# Environment: STOREKEEPER_BIN (default /usr/local/bin/storekeeper),
# STOREKEEPER_CONFIG (default /etc/storekeeper/storekeeper.yaml).
# Exit status: 0 when the daemon is healthy or the cleanup succeeded,
# otherwise that of `storekeeper clean` (1: some file could not be removed,
# 78: bad configuration), so cron mails the output of a failed run.
set -uo pipefail

bin="${STOREKEEPER_BIN:-/usr/local/bin/storekeeper}"
config="${STOREKEEPER_CONFIG:-/etc/storekeeper/storekeeper.yaml}"
tag="storekeeper-cleanup"

# Under systemd stderr is the journal already; elsewhere syslog gets a copy.
to_syslog() {
  [ -z "${JOURNAL_STREAM:-}" ] && command -v logger >/dev/null 2>&1 && logger -t "$tag" -p "user.$1" -- "$2" 2>/dev/null
  return 0
}
# Quiet when nothing happens, so cron sends no mail on a healthy day.
note() {
  if [ -n "${JOURNAL_STREAM:-}" ]; then printf '%s: %s\n' "$tag" "$1" >&2; fi
  to_syslog info "$1"
}
say() {
  printf '%s: %s\n' "$tag" "$1" >&2
  to_syslog "$2" "$1"
}

if [ ! -x "$bin" ]; then
  say "storekeeper not found at $bin (set STOREKEEPER_BIN)" err
  exit 1
fi

# Only the `"daemon": {... "running": ...}` object of stats --json is read.
daemon_running() {
  local stats
  stats="$("$bin" stats --json --config "$config" 2>/dev/null)" || return 1
  printf '%s' "$stats" | tr -d ' \n' | grep -q '"daemon":{"running":true'
}

if daemon_running; then
  note "the daemon is healthy; it runs the scheduled cleanups, nothing to do"
  exit 0
fi

say "the daemon is not running or not healthy; running storekeeper clean" warning
"$bin" clean --config "$config"
status=$?
if [ "$status" -eq 0 ]; then
  say "cleanup finished" info
else
  say "storekeeper clean failed with exit status $status" err
fi
exit "$status"

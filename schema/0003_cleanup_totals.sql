-- Storekeeper index, migration 3: what cleanups removed, in total.
--
-- Counters for the metrics (storekeeper_cleanup_removed_files_total and its
-- kin, docs/operations.md): what every cleanup removed, skipped and failed to
-- remove, summed per category and reason since this migration ran. They live
-- in the index, not in the daemon's memory, so they survive restarts and
-- include runs made by `storekeeper clean` by hand or from cron. The cleaner
-- adds to them in the same transaction as the events it records, the trash in
-- the same transaction as the purge's; dry runs add nothing. Reading them is a
-- few rows, never a count over `events` (which is pruned):
--   sqlite3 -readonly storage/.storekeeper/index.db 'SELECT * FROM cleanup_totals'

CREATE TABLE cleanup_totals (
    -- The category the files came from; 'unknown' for trash items other tools put there.
    category TEXT    NOT NULL,
    -- ttl: expired; quota: evicted over quota; low_disk: evicted for free space;
    -- trash_purge: deleted for good from the trash (retention, low disk, `trash empty`).
    reason   TEXT    NOT NULL CHECK (reason IN ('ttl', 'quota', 'low_disk', 'trash_purge')),
    -- Files removed: deleted, or moved into the trash (their bytes are freed
    -- on disk when the trash purge deletes them, counted again as trash_purge).
    files    INTEGER NOT NULL DEFAULT 0 CHECK (files >= 0),
    bytes    INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    -- Files that could not be removed (a permission, an immutable file).
    errors   INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
    PRIMARY KEY (category, reason)
) WITHOUT ROWID;

-- Files the cleaner selected and then left alone, per category and skip
-- reason (vanished, changed_size, ... : the table in docs/operations.md).
CREATE TABLE cleanup_skips (
    category TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    files    INTEGER NOT NULL DEFAULT 0 CHECK (files >= 0),
    PRIMARY KEY (category, reason)
) WITHOUT ROWID;

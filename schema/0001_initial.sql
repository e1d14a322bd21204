-- Storekeeper index, migration 1: the tables, triggers and views.
--
-- Read it with the sqlite3 shell while the daemon runs (WAL mode lets readers in):
--   sqlite3 -readonly storage/.storekeeper/index.db 'SELECT * FROM quota_status'
-- Times are Unix seconds (UTC): datetime(mtime, 'unixepoch') shows one.
-- Paths are relative to the storage base and stored as TEXT holding the exact
-- bytes of the name (Linux names need not be UTF-8), so
--   SELECT * FROM files WHERE path = 'temp/job_1/a.part'
-- works as written. Migrations are append-only: a change is a new file.

-- The current state: one row per regular file or symlink under the base.
-- Directories are not rows; `.storekeeper/` and `.trash/` are never indexed.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    -- The config key (`contact_sheets`), the folder name of an unmanaged
    -- top-level folder, or '/' for files directly in the base.
    category    TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('file', 'symlink')),
    size        INTEGER NOT NULL CHECK (size >= 0),
    mtime       INTEGER NOT NULL,
    -- The sub-second part of the mtime: a rewrite within one second is still a change.
    mtime_ns    INTEGER NOT NULL DEFAULT 0 CHECK (mtime_ns BETWEEN 0 AND 999999999),
    inode       INTEGER NOT NULL,
    -- The date in the path (a YYYY-MM-DD folder or a _YYYYMMDD_HHMMSS name) for
    -- categories aged by `age_by: path_date`; NULL when the path has none.
    path_date   INTEGER,
    -- When this row was first indexed.
    entered_at  INTEGER NOT NULL
);

-- The cleaner's range query: a category's oldest files first.
CREATE INDEX files_by_category_mtime ON files (category, mtime);

-- Files and bytes per category, kept exact by the triggers below, so quota
-- checks and `storekeeper stats` never count rows.
CREATE TABLE usage (
    category TEXT    PRIMARY KEY,
    files    INTEGER NOT NULL DEFAULT 0,
    bytes    INTEGER NOT NULL DEFAULT 0
);

-- REPLACE (INSERT OR REPLACE, UPDATE OR REPLACE) deletes the row it collides
-- with without firing delete triggers, unless PRAGMA recursive_triggers is on,
-- which the sqlite3 shell never turns on. So the colliding row is noted in
-- usage_replaced before the statement and settled after it. Every insert or
-- rename first clears the note of its path, so a note left by a statement that
-- did not replace (OR IGNORE, an upsert's DO UPDATE) is never settled later.
CREATE TABLE usage_replaced (
    path     TEXT    PRIMARY KEY,
    category TEXT    NOT NULL,
    size     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER files_note_replaced_on_insert BEFORE INSERT ON files
BEGIN
    DELETE FROM usage_replaced WHERE path = NEW.path;
    INSERT INTO usage_replaced (path, category, size)
        SELECT path, category, size FROM files WHERE path = NEW.path;
END;

CREATE TRIGGER files_note_replaced_on_rename BEFORE UPDATE OF path ON files
WHEN NEW.path IS NOT OLD.path
BEGIN
    DELETE FROM usage_replaced WHERE path = NEW.path;
    INSERT INTO usage_replaced (path, category, size)
        SELECT path, category, size FROM files WHERE path = NEW.path;
END;

CREATE TRIGGER files_usage_after_insert AFTER INSERT ON files
BEGIN
    INSERT INTO usage (category, files, bytes) VALUES (NEW.category, 1, NEW.size)
        ON CONFLICT (category) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
    UPDATE usage SET files = files - 1, bytes = bytes - r.size
        FROM usage_replaced AS r WHERE r.path = NEW.path AND usage.category = r.category;
    DELETE FROM usage_replaced WHERE path = NEW.path;
END;

CREATE TRIGGER files_usage_after_delete AFTER DELETE ON files
BEGIN
    UPDATE usage SET files = files - 1, bytes = bytes - OLD.size WHERE category = OLD.category;
    -- Settled here when recursive_triggers is on; a stale note goes too.
    DELETE FROM usage_replaced WHERE path = OLD.path;
END;

CREATE TRIGGER files_usage_after_update AFTER UPDATE OF category, size ON files
BEGIN
    UPDATE usage SET files = files - 1, bytes = bytes - OLD.size WHERE category = OLD.category;
    INSERT INTO usage (category, files, bytes) VALUES (NEW.category, 1, NEW.size)
        ON CONFLICT (category) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER files_usage_after_rename AFTER UPDATE OF path ON files
WHEN NEW.path IS NOT OLD.path
BEGIN
    UPDATE usage SET files = files - 1, bytes = bytes - r.size
        FROM usage_replaced AS r WHERE r.path = NEW.path AND usage.category = r.category;
    DELETE FROM usage_replaced WHERE path = NEW.path;
END;

-- The policy in force, written from the configuration by every command that
-- loads it. NULL retention means keep forever; NULL quota means no quota.
CREATE TABLE categories (
    key               TEXT    PRIMARY KEY,
    -- Top-level folders of this category, separated by '/' (which no folder name holds).
    directories       TEXT    NOT NULL,
    retention_seconds INTEGER CHECK (retention_seconds IS NULL OR retention_seconds >= 0),
    quota_bytes       INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
    on_quota          TEXT    NOT NULL CHECK (on_quota IN ('evict', 'alert')),
    age_by            TEXT    NOT NULL CHECK (age_by IN ('mtime', 'path_date')),
    -- Eviction order under low disk: lower first.
    priority          INTEGER NOT NULL
);

-- Append-only log of what the scanner, watcher and cleaner saw or did.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    time      INTEGER NOT NULL,
    action    TEXT    NOT NULL CHECK (action IN
                  ('create', 'modify', 'move', 'delete', 'trash', 'restore', 'evict', 'skip', 'error', 'scan')),
    path      TEXT,
    -- The destination of a move, or the trash name of a trashed file.
    new_path  TEXT,
    category  TEXT,
    size      INTEGER,
    -- Who or why: scan, watcher, reconcile, expired, quota, low_disk, manual, ...
    cause     TEXT    NOT NULL,
    detail    TEXT
);

CREATE INDEX events_by_time ON events (time);

-- One row per cleaner run, dry runs included.
CREATE TABLE cleanup_runs (
    id            INTEGER PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    trigger       TEXT    NOT NULL,
    dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    status        TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    files_removed INTEGER NOT NULL DEFAULT 0,
    bytes_freed   INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    detail        TEXT
);

-- Scheduled jobs: what ran last and what runs next.
CREATE TABLE jobs (
    name             TEXT    PRIMARY KEY,
    schedule         TEXT    NOT NULL,
    last_started_at  INTEGER,
    last_finished_at INTEGER,
    last_status      TEXT,
    next_run_at      INTEGER,
    runs             INTEGER NOT NULL DEFAULT 0
);

-- Facts about the index itself: base path, last scan, and so on.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
);

-- Views for people at the sqlite3 prompt.

-- Usage against quota for every category seen or configured.
CREATE VIEW quota_status AS
SELECT u.category,
       u.files,
       u.bytes,
       c.quota_bytes,
       CASE WHEN c.quota_bytes > 0 THEN round(100.0 * u.bytes / c.quota_bytes, 1) END AS percent_used,
       CASE
           WHEN c.key IS NULL THEN 'unmanaged'
           WHEN c.quota_bytes IS NULL THEN 'no quota'
           WHEN u.bytes > c.quota_bytes THEN 'over'
           WHEN u.bytes * 10 >= c.quota_bytes * 9 THEN 'near'
           ELSE 'ok'
       END AS status
FROM usage AS u
LEFT JOIN categories AS c ON c.key = u.category
ORDER BY u.bytes DESC;

-- Files past their category's retention now (each half uses the
-- (category, mtime) index; `age_by: path_date` categories fall back to mtime
-- for paths without a date).
CREATE VIEW expired_files AS
SELECT f.path, f.category, f.size,
       datetime(f.mtime, 'unixepoch') AS modified,
       unixepoch() - c.retention_seconds - f.mtime AS overdue_seconds
FROM categories AS c
JOIN files AS f ON f.category = c.key AND f.mtime < unixepoch() - c.retention_seconds
WHERE c.retention_seconds IS NOT NULL AND c.age_by = 'mtime'
UNION ALL
SELECT f.path, f.category, f.size,
       datetime(f.mtime, 'unixepoch') AS modified,
       unixepoch() - c.retention_seconds - coalesce(f.path_date, f.mtime) AS overdue_seconds
FROM categories AS c
JOIN files AS f ON f.category = c.key
WHERE c.retention_seconds IS NOT NULL AND c.age_by = 'path_date'
  AND coalesce(f.path_date, f.mtime) < unixepoch() - c.retention_seconds;

-- The hundred largest files.
CREATE VIEW largest_files AS
SELECT path, category, size, datetime(mtime, 'unixepoch') AS modified
FROM files
ORDER BY size DESC
LIMIT 100;

-- What was removed lately, newest first: by the cleaner (delete, trash, evict)
-- or seen gone by the watcher and scanner (delete).
CREATE VIEW recent_deletions AS
SELECT datetime(time, 'unixepoch') AS at, action, path, category, size, cause, detail
FROM events
WHERE action IN ('delete', 'trash', 'evict')
ORDER BY id DESC;

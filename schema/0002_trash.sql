-- Storekeeper index, migration 2: the trash.
--
-- The trash itself is `<base>/.trash/` in the freedesktop.org layout
-- (`files/NAME` and `info/NAME.trashinfo`), so trash-cli and file managers can
-- read it. Those files are the truth; this table mirrors them so the trash's
-- size is one row read and emptying by age is an index range:
--   sqlite3 -readonly storage/.storekeeper/index.db 'SELECT * FROM trash_contents'
-- Storekeeper writes a row when it trashes something and drops it when the item
-- is restored or purged; `storekeeper trash list` (and every purge) resyncs the
-- table with `.trash/`, picking up what other tools trashed or removed.

-- One row per trashed item (a file, a symlink, or a folder trashed whole).
CREATE TABLE trash (
    -- The name in `.trash/files/` (and `.trash/info/<name>.trashinfo`): the
    -- original name, with a `_N` suffix on a collision and shortened to fit
    -- 255 bytes. TEXT holding the exact bytes, like `files.path`.
    trash_name    TEXT    PRIMARY KEY,
    -- Where it was, relative to the base (the info file holds it absolute).
    original_path TEXT    NOT NULL,
    -- The category it was trashed from; NULL for items other tools trashed.
    category      TEXT,
    -- Bytes of the item (all files inside, for a folder), measured at trash time.
    size          INTEGER NOT NULL CHECK (size >= 0),
    -- Unix seconds (UTC); the info file's DeletionDate is the same moment in local time.
    deleted_at    INTEGER NOT NULL
);

-- Purging by retention: the oldest items first.
CREATE INDEX trash_by_deleted_at ON trash (deleted_at);

-- Items and bytes in the trash, kept exact by the triggers below, so `stats`
-- never sums the table. Exactly one row.
CREATE TABLE trash_usage (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);

INSERT INTO trash_usage (id, files, bytes) VALUES (1, 0, 0);

-- REPLACE deletes the row it collides with without firing delete triggers
-- (unless PRAGMA recursive_triggers is on), as for `usage` in migration 1: the
-- colliding row is noted before the statement and settled after it. Every
-- insert or rename first clears the note of its name, so a note left by a
-- statement that did not replace (OR IGNORE, an upsert's DO UPDATE) is never
-- settled by a later statement that replaces nothing.
CREATE TABLE trash_usage_replaced (
    trash_name TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER trash_note_replaced_on_insert BEFORE INSERT ON trash
BEGIN
    DELETE FROM trash_usage_replaced WHERE trash_name = NEW.trash_name;
    INSERT INTO trash_usage_replaced (trash_name, size)
        SELECT trash_name, size FROM trash WHERE trash_name = NEW.trash_name;
END;

CREATE TRIGGER trash_note_replaced_on_rename BEFORE UPDATE OF trash_name ON trash
WHEN NEW.trash_name IS NOT OLD.trash_name
BEGIN
    DELETE FROM trash_usage_replaced WHERE trash_name = NEW.trash_name;
    INSERT INTO trash_usage_replaced (trash_name, size)
        SELECT trash_name, size FROM trash WHERE trash_name = NEW.trash_name;
END;

CREATE TRIGGER trash_usage_after_insert AFTER INSERT ON trash
BEGIN
    UPDATE trash_usage SET files = files + 1, bytes = bytes + NEW.size;
    UPDATE trash_usage SET files = files - 1, bytes = bytes - r.size
        FROM trash_usage_replaced AS r WHERE r.trash_name = NEW.trash_name;
    DELETE FROM trash_usage_replaced WHERE trash_name = NEW.trash_name;
END;

CREATE TRIGGER trash_usage_after_delete AFTER DELETE ON trash
BEGIN
    UPDATE trash_usage SET files = files - 1, bytes = bytes - OLD.size;
    -- Settled here when recursive_triggers is on; a stale note goes too.
    DELETE FROM trash_usage_replaced WHERE trash_name = OLD.trash_name;
END;

CREATE TRIGGER trash_usage_after_update AFTER UPDATE OF size ON trash
BEGIN
    UPDATE trash_usage SET bytes = bytes - OLD.size + NEW.size;
END;

CREATE TRIGGER trash_usage_after_rename AFTER UPDATE OF trash_name ON trash
WHEN NEW.trash_name IS NOT OLD.trash_name
BEGIN
    UPDATE trash_usage SET files = files - 1, bytes = bytes - r.size
        FROM trash_usage_replaced AS r WHERE r.trash_name = NEW.trash_name;
    DELETE FROM trash_usage_replaced WHERE trash_name = NEW.trash_name;
END;

-- For people at the sqlite3 prompt: what is in the trash, newest first.
CREATE VIEW trash_contents AS
SELECT datetime(deleted_at, 'unixepoch') AS deleted, original_path, category, size, trash_name
FROM trash
ORDER BY deleted_at DESC;

-- Storekeeper index, migration 4: hard links, allocated space, layout files
-- and restores.
--
-- * Hard links: one file (inode) may have several names, each its own row.
--   `nlink` is what lstat said of the name. In `usage` a file's bytes count
--   once per inode within a category, as `du` counts them; `files` still
--   counts names. The base is one filesystem (mounts are not crossed), so the
--   inode alone names a file within one index.
-- * Space is what the disk allocates: `allocated` is st_blocks * 512, beside
--   the apparent `size` (a sparse file has a large size and few blocks; a small
--   file takes a whole block). Quotas, low-disk relief and "freed" use it.
-- * Layout: `.gitkeep` files keep folders in git; they are rows (so the
--   cleaner can see and skip them) but not content: not in `usage`, not in
--   `expired_files`.
-- * Restores: `storekeeper trash restore` notes what it brought back in
--   `restores`; the row of a restored file (written then, or later by the
--   watcher or a scan) gets `restored_at`, and its age counts from there.
--
-- Check usage by hand (slow on a large index; normally no output):
--   SELECT category, files, bytes, allocated FROM usage WHERE files != 0 OR bytes != 0
--   EXCEPT SELECT category, sum(n), sum(b), sum(a) FROM (SELECT category, count(*) AS n,
--       max(size) AS b, max(allocated) AS a FROM files
--       WHERE path != '.gitkeep' AND path NOT GLOB '*/.gitkeep' GROUP BY category, inode)
--   GROUP BY category;

-- Names of the inode (1 for most files).
ALTER TABLE files ADD COLUMN nlink INTEGER NOT NULL DEFAULT 1 CHECK (nlink >= 0);
-- Bytes the disk allocates for the inode: st_blocks * 512.
ALTER TABLE files ADD COLUMN allocated INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0);
-- When `storekeeper trash restore` brought this file back (Unix seconds), or
-- NULL: the cleaner ages the file from max(mtime, restored_at).
ALTER TABLE files ADD COLUMN restored_at INTEGER;

-- Until the next reconcile measures the blocks, a row counts its apparent
-- size, as every row did before this migration.
UPDATE files SET allocated = size;

-- Every name of one inode: the watcher refreshes them together.
CREATE INDEX files_by_inode ON files (inode);

ALTER TABLE usage ADD COLUMN allocated INTEGER NOT NULL DEFAULT 0;

-- What `trash restore` brought back (a file, or a folder and all below it),
-- so a row the watcher writes after the restore still learns of it. Notes are
-- kept a day, far longer than any watcher takes to see a rename.
CREATE TABLE restores (
    path        TEXT    PRIMARY KEY,
    restored_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The usage triggers are rewritten: a file's bytes now depend on the other
-- names of its inode. Each trigger recomputes the groups (category, inode)
-- it touches: `before` is the group's rows as they were (the table now, less
-- the row written, plus the row as it was and the row REPLACE removed), `after`
-- the rows now. A group's files are its names, its bytes the largest size of
-- them (equal for names of one inode, unless a row is stale). The notes of
-- REPLACE keep their meaning from migration 1, now with inode and allocation.
DROP TRIGGER files_note_replaced_on_insert;
DROP TRIGGER files_note_replaced_on_rename;
DROP TRIGGER files_usage_after_insert;
DROP TRIGGER files_usage_after_delete;
DROP TRIGGER files_usage_after_update;
DROP TRIGGER files_usage_after_rename;

DELETE FROM usage_replaced;
ALTER TABLE usage_replaced ADD COLUMN inode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_replaced ADD COLUMN allocated INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER files_note_replaced_on_insert BEFORE INSERT ON files
BEGIN
    DELETE FROM usage_replaced WHERE path = NEW.path;
    INSERT INTO usage_replaced (path, category, size, inode, allocated)
        SELECT path, category, size, inode, allocated FROM files WHERE path = NEW.path;
END;

CREATE TRIGGER files_note_replaced_on_rename BEFORE UPDATE OF path ON files
WHEN NEW.path IS NOT OLD.path
BEGIN
    DELETE FROM usage_replaced WHERE path = NEW.path;
    INSERT INTO usage_replaced (path, category, size, inode, allocated)
        SELECT path, category, size, inode, allocated FROM files WHERE path = NEW.path;
END;

-- Almost every row is a file alone in its (category, inode) group, written
-- without replacing another. For those, a `_alone` trigger moves usage by the
-- row itself, which keeps a scan or a burst at the cost of an index lookup per
-- row; the general trigger, whose grouping query costs far more, runs exactly
-- when its twin does not. The two conditions read only what no AFTER trigger
-- of the same event changes (so the order SQLite fires them in does not
-- matter): that is why the general insert and update triggers leave their
-- `usage_replaced` note in place — the BEFORE triggers clear a stale note of a
-- path before they note a new one, and a delete clears it.
CREATE TRIGGER files_usage_after_insert_alone AFTER INSERT ON files
WHEN NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep'
    AND NOT EXISTS (SELECT 1 FROM usage_replaced WHERE path = NEW.path)
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = NEW.inode AND category = NEW.category AND id != NEW.id)
BEGIN
    -- Not OR IGNORE: a conflict clause on the statement that fired the trigger would override it.
    INSERT INTO usage (category) SELECT NEW.category
        WHERE NOT EXISTS (SELECT 1 FROM usage WHERE category = NEW.category);
    UPDATE usage SET files = files + 1, bytes = bytes + NEW.size, allocated = allocated + NEW.allocated
        WHERE category = NEW.category;
END;

CREATE TRIGGER files_usage_after_insert AFTER INSERT ON files
WHEN NOT (NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep'
    AND NOT EXISTS (SELECT 1 FROM usage_replaced WHERE path = NEW.path)
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = NEW.inode AND category = NEW.category AND id != NEW.id))
BEGIN
    -- Not OR IGNORE: a conflict clause on the statement that fired the trigger would override it.
    INSERT INTO usage (category) SELECT NEW.category
        WHERE NOT EXISTS (SELECT 1 FROM usage WHERE category = NEW.category);
    UPDATE usage SET files = usage.files + d.files, bytes = usage.bytes + d.bytes,
        allocated = usage.allocated + d.allocated
    FROM (
        SELECT g.category AS category,
               sum(g.new_in - g.x_in) AS files,
               sum(max(g.kept_size, g.new_in * NEW.size) - max(g.kept_size, g.x_in * g.x_size)) AS bytes,
               sum(max(g.kept_allocated, g.new_in * NEW.allocated) - max(g.kept_allocated, g.x_in * g.x_allocated))
                   AS allocated
        FROM (
            SELECT k.category, k.inode,
                   (NEW.category = k.category AND NEW.inode = k.inode
                       AND NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep') AS new_in,
                   (x.path IS NOT NULL) AS x_in,
                   coalesce(x.size, 0) AS x_size,
                   coalesce(x.allocated, 0) AS x_allocated,
                   coalesce((SELECT max(f.size) FROM files AS f
                             WHERE f.inode = k.inode AND f.category = k.category AND f.id != NEW.id
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_size,
                   coalesce((SELECT max(f.allocated) FROM files AS f
                             WHERE f.inode = k.inode AND f.category = k.category AND f.id != NEW.id
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_allocated
            FROM (
                SELECT NEW.category AS category, NEW.inode AS inode
                UNION SELECT category, inode FROM usage_replaced WHERE path = NEW.path
            ) AS k
            LEFT JOIN usage_replaced AS x
                ON x.path = NEW.path AND x.category = k.category AND x.inode = k.inode
                AND x.path != '.gitkeep' AND x.path NOT GLOB '*/.gitkeep'
        ) AS g
        GROUP BY g.category
    ) AS d
    WHERE usage.category = d.category;
END;

CREATE TRIGGER files_usage_after_delete_alone AFTER DELETE ON files
WHEN OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep'
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = OLD.inode AND category = OLD.category)
BEGIN
    UPDATE usage SET files = files - 1, bytes = bytes - OLD.size, allocated = allocated - OLD.allocated
        WHERE category = OLD.category;
    DELETE FROM usage_replaced WHERE path = OLD.path;
END;

CREATE TRIGGER files_usage_after_delete AFTER DELETE ON files
WHEN NOT (OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep'
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = OLD.inode AND category = OLD.category))
BEGIN
    UPDATE usage SET files = usage.files - d.files, bytes = usage.bytes - d.bytes,
        allocated = usage.allocated - d.allocated
    FROM (
        SELECT 1 AS files,
               max(OLD.size - g.kept_size, 0) AS bytes,
               max(OLD.allocated - g.kept_allocated, 0) AS allocated
        FROM (
            SELECT coalesce((SELECT max(f.size) FROM files AS f
                             WHERE f.inode = OLD.inode AND f.category = OLD.category
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_size,
                   coalesce((SELECT max(f.allocated) FROM files AS f
                             WHERE f.inode = OLD.inode AND f.category = OLD.category
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_allocated
        ) AS g
    ) AS d
    WHERE usage.category = OLD.category AND OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep';
    -- Settled here when recursive_triggers is on; a stale note goes too.
    DELETE FROM usage_replaced WHERE path = OLD.path;
END;

-- One trigger for every column usage depends on: a rename can make a row a
-- `.gitkeep` (or stop it being one), and can replace another row.
CREATE TRIGGER files_usage_after_update_alone AFTER UPDATE OF path, category, inode, size, allocated ON files
WHEN OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep'
    AND NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep'
    AND (NEW.path IS OLD.path OR NOT EXISTS (SELECT 1 FROM usage_replaced WHERE path = NEW.path))
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = OLD.inode AND category = OLD.category AND id != NEW.id)
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = NEW.inode AND category = NEW.category AND id != NEW.id)
BEGIN
    -- Not OR IGNORE: a conflict clause on the statement that fired the trigger would override it.
    INSERT INTO usage (category) SELECT NEW.category
        WHERE NOT EXISTS (SELECT 1 FROM usage WHERE category = NEW.category);
    UPDATE usage SET files = files - 1, bytes = bytes - OLD.size, allocated = allocated - OLD.allocated
        WHERE category = OLD.category;
    UPDATE usage SET files = files + 1, bytes = bytes + NEW.size, allocated = allocated + NEW.allocated
        WHERE category = NEW.category;
END;

CREATE TRIGGER files_usage_after_update AFTER UPDATE OF path, category, inode, size, allocated ON files
WHEN NOT (OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep'
    AND NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep'
    AND (NEW.path IS OLD.path OR NOT EXISTS (SELECT 1 FROM usage_replaced WHERE path = NEW.path))
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = OLD.inode AND category = OLD.category AND id != NEW.id)
    AND NOT EXISTS (SELECT 1 FROM files WHERE inode = NEW.inode AND category = NEW.category AND id != NEW.id))
BEGIN
    -- Not OR IGNORE: a conflict clause on the statement that fired the trigger would override it.
    INSERT INTO usage (category) SELECT NEW.category
        WHERE NOT EXISTS (SELECT 1 FROM usage WHERE category = NEW.category);
    UPDATE usage SET files = usage.files + d.files, bytes = usage.bytes + d.bytes,
        allocated = usage.allocated + d.allocated
    FROM (
        SELECT g.category AS category,
               sum(g.new_in - g.old_in - g.x_in) AS files,
               sum(max(g.kept_size, g.new_in * NEW.size)
                   - max(g.kept_size, g.old_in * OLD.size, g.x_in * g.x_size)) AS bytes,
               sum(max(g.kept_allocated, g.new_in * NEW.allocated)
                   - max(g.kept_allocated, g.old_in * OLD.allocated, g.x_in * g.x_allocated)) AS allocated
        FROM (
            SELECT k.category, k.inode,
                   (NEW.category = k.category AND NEW.inode = k.inode
                       AND NEW.path != '.gitkeep' AND NEW.path NOT GLOB '*/.gitkeep') AS new_in,
                   (OLD.category = k.category AND OLD.inode = k.inode
                       AND OLD.path != '.gitkeep' AND OLD.path NOT GLOB '*/.gitkeep') AS old_in,
                   (x.path IS NOT NULL) AS x_in,
                   coalesce(x.size, 0) AS x_size,
                   coalesce(x.allocated, 0) AS x_allocated,
                   coalesce((SELECT max(f.size) FROM files AS f
                             WHERE f.inode = k.inode AND f.category = k.category AND f.id != NEW.id
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_size,
                   coalesce((SELECT max(f.allocated) FROM files AS f
                             WHERE f.inode = k.inode AND f.category = k.category AND f.id != NEW.id
                               AND f.path != '.gitkeep' AND f.path NOT GLOB '*/.gitkeep'), 0) AS kept_allocated
            FROM (
                SELECT OLD.category AS category, OLD.inode AS inode
                UNION SELECT NEW.category, NEW.inode
                UNION SELECT category, inode FROM usage_replaced WHERE path = NEW.path AND NEW.path IS NOT OLD.path
            ) AS k
            LEFT JOIN usage_replaced AS x
                ON NEW.path IS NOT OLD.path AND x.path = NEW.path AND x.category = k.category AND x.inode = k.inode
                AND x.path != '.gitkeep' AND x.path NOT GLOB '*/.gitkeep'
        ) AS g
        GROUP BY g.category
    ) AS d
    WHERE usage.category = d.category;
END;

-- `usage` recounted under the new rules.
UPDATE usage SET files = 0, bytes = 0, allocated = 0;
INSERT INTO usage (category, files, bytes, allocated)
SELECT category, sum(names), sum(size), sum(allocated)
FROM (
    SELECT category, count(*) AS names, max(size) AS size, max(allocated) AS allocated
    FROM files
    WHERE path != '.gitkeep' AND path NOT GLOB '*/.gitkeep'
    GROUP BY category, inode
)
GROUP BY category
ON CONFLICT (category) DO UPDATE
    SET files = excluded.files, bytes = excluded.bytes, allocated = excluded.allocated;

-- Usage against quota. Quotas count allocated bytes (what the disk gives up);
-- `bytes` is the apparent size, as `ls -l` and `du --apparent-size` show it.
DROP VIEW quota_status;
CREATE VIEW quota_status AS
SELECT u.category,
       u.files,
       u.bytes,
       c.quota_bytes,
       CASE WHEN c.quota_bytes > 0 THEN round(100.0 * u.allocated / c.quota_bytes, 1) END AS percent_used,
       CASE
           WHEN c.key IS NULL THEN 'unmanaged'
           WHEN c.quota_bytes IS NULL THEN 'no quota'
           WHEN u.allocated > c.quota_bytes THEN 'over'
           WHEN u.allocated * 10 >= c.quota_bytes * 9 THEN 'near'
           ELSE 'ok'
       END AS status,
       u.allocated AS allocated_bytes
FROM usage AS u
LEFT JOIN categories AS c ON c.key = u.category
ORDER BY u.allocated DESC;

-- Files past their category's retention now, as the cleaner sees them: a
-- restored file ages from its restore, and `.gitkeep` files never expire.
DROP VIEW expired_files;
CREATE VIEW expired_files AS
SELECT f.path, f.category, f.size,
       datetime(f.mtime, 'unixepoch') AS modified,
       unixepoch() - c.retention_seconds - max(f.mtime, coalesce(f.restored_at, f.mtime)) AS overdue_seconds
FROM categories AS c
JOIN files AS f ON f.category = c.key AND f.mtime < unixepoch() - c.retention_seconds
WHERE c.retention_seconds IS NOT NULL AND c.age_by = 'mtime'
  AND (f.restored_at IS NULL OR f.restored_at < unixepoch() - c.retention_seconds)
  AND f.path NOT GLOB '*/.gitkeep'
UNION ALL
SELECT f.path, f.category, f.size,
       datetime(f.mtime, 'unixepoch') AS modified,
       unixepoch() - c.retention_seconds
           - max(coalesce(f.path_date, f.mtime), coalesce(f.restored_at, f.path_date, f.mtime)) AS overdue_seconds
FROM categories AS c
JOIN files AS f ON f.category = c.key
WHERE c.retention_seconds IS NOT NULL AND c.age_by = 'path_date'
  AND coalesce(f.path_date, f.mtime) < unixepoch() - c.retention_seconds
  AND (f.restored_at IS NULL OR f.restored_at < unixepoch() - c.retention_seconds)
  AND f.path NOT GLOB '*/.gitkeep';

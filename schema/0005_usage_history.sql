-- Migration 5: usage over time.
--
-- The daemon copies the `usage` table here every monitoring.history_interval
-- (5 minutes by default) and deletes samples older than
-- monitoring.history_retention (30 days): the status page's 7-day chart and
-- GET /api/v1/storage/history read it, and so can sqlite3:
--
--   SELECT datetime(sampled_at, 'unixepoch'), bytes FROM usage_history
--   WHERE category = 'uploads' ORDER BY sampled_at;
--
-- One row per category per sample: 6 categories every 5 minutes for 30 days
-- is about 52k rows (a few MiB), whatever the size of the tree.
CREATE TABLE usage_history (
    sampled_at INTEGER NOT NULL,
    category   TEXT    NOT NULL,
    files      INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    allocated  INTEGER NOT NULL,
    PRIMARY KEY (category, sampled_at)
) WITHOUT ROWID;

-- Pruning walks the oldest samples first.
CREATE INDEX usage_history_by_time ON usage_history (sampled_at);

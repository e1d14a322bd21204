-- Migration 6: the size of the `events` log, readable in O(1).
--
-- `storekeeper stats`, the metrics and the daemon's size bound
-- (monitoring.event_log_max_bytes) read this one row instead of counting a
-- table that can hold hundreds of millions of rows. Triggers keep it exact:
-- `rows` is the number of events, `payload_bytes` the length of their text
-- columns (path, new_path, category, cause, detail, action). What a row costs
-- on disk is that payload plus a fixed overhead per row (record header,
-- integers, rowid, the `events_by_time` entry, page slack), which Storekeeper
-- adds when it reports bytes; docs/operations.md gives the measured figures.
--
--   SELECT rows, payload_bytes FROM event_log;
--
-- Each insert into `events` costs one more UPDATE of this row, a page that is
-- always in cache (about a microsecond).
CREATE TABLE event_log (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    rows          INTEGER NOT NULL,
    payload_bytes INTEGER NOT NULL
);

-- An upgraded index counts its existing events once, here.
INSERT INTO event_log (id, rows, payload_bytes)
SELECT 1, count(*),
       coalesce(sum(length(action) + coalesce(length(path), 0) + coalesce(length(new_path), 0)
                    + coalesce(length(category), 0) + length(cause) + coalesce(length(detail), 0)), 0)
FROM events;

CREATE TRIGGER events_log_after_insert AFTER INSERT ON events
BEGIN
    UPDATE event_log SET rows = rows + 1,
        payload_bytes = payload_bytes + length(new.action) + coalesce(length(new.path), 0)
            + coalesce(length(new.new_path), 0) + coalesce(length(new.category), 0) + length(new.cause)
            + coalesce(length(new.detail), 0);
END;

CREATE TRIGGER events_log_after_delete AFTER DELETE ON events
BEGIN
    UPDATE event_log SET rows = rows - 1,
        payload_bytes = payload_bytes - length(old.action) - coalesce(length(old.path), 0)
            - coalesce(length(old.new_path), 0) - coalesce(length(old.category), 0) - length(old.cause)
            - coalesce(length(old.detail), 0);
END;

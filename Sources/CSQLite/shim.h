#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call: one wrapper per use. */

/* Closing the last connection checkpoints the WAL into the database file.
   When that file was deleted or truncated under the connection, the
   checkpoint would write pages into a file that is no longer the index. */
static inline int storekeeper_sqlite3_skip_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/* Turns the connection's triggers off (0) or on (1) and returns the state
   now in force. Changing it expires every prepared statement of the
   connection, so none keeps code compiled under the other state. */
static inline int storekeeper_sqlite3_enable_triggers(sqlite3 *db, int on) {
    int enabled = -1;
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, on, &enabled);
    return enabled;
}

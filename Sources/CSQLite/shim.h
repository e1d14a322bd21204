#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call: one wrapper per use. */

/* Closing the last connection checkpoints the WAL into the database file.
   When that file was deleted or truncated under the connection, the
   checkpoint would write pages into a file that is no longer the index. */
static inline int storekeeper_sqlite3_skip_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

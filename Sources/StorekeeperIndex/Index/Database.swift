import CSQLite
import Glibc

/// One SQLite connection, owned by one thread at a time. Opens in WAL mode with
/// `synchronous=NORMAL` (a crash may lose the last commits, never corrupt) and a
/// busy timeout, so readers (`sqlite3`, `stats`) never block the writer.
public final class Database {
    let handle: OpaquePointer
    let path: String
    /// Opened in exclusive locking mode because the disk had no room for the
    /// WAL's shared-memory file: no other process can read the index while
    /// this connection is open, so a long-lived owner reopens it once there is room.
    let lockedExclusively: Bool
    private var statements: [String: Statement] = [:]

    enum Mode { case readWrite, readOnly }

    init(path: String, mode: Mode = .readWrite, busyTimeoutMilliseconds: Int32 = 5000) throws(DatabaseError) {
        self.path = path
        do {
            handle = try Self.open(path, mode: mode, busyTimeoutMilliseconds: busyTimeoutMilliseconds, exclusive: false)
            lockedExclusively = false
        } catch  where error.isDiskFull && mode == .readWrite {
            // No room for the WAL's shared-memory file (a disk full to the last
            // block, no daemon holding it): in exclusive mode SQLite keeps that
            // index in its own memory, so a cleanup can still open the index
            // and free the space. Only before the first access does it take.
            handle = try Self.open(path, mode: mode, busyTimeoutMilliseconds: busyTimeoutMilliseconds, exclusive: true)
            lockedExclusively = true
        }
    }

    private static func open(
        _ path: String, mode: Mode, busyTimeoutMilliseconds: Int32, exclusive: Bool
    ) throws(DatabaseError) -> OpaquePointer {
        var handle: OpaquePointer?
        let flags =
            (mode == .readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw DatabaseError(code: code, message: "cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        var pragmas = ["PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"]
        if mode == .readWrite { pragmas.insert("PRAGMA journal_mode=WAL", at: 0) }
        if exclusive { pragmas.insert("PRAGMA locking_mode=EXCLUSIVE", at: 0) }
        for pragma in pragmas {
            var message: UnsafeMutablePointer<CChar>?
            let code = sqlite3_exec(handle, pragma, nil, nil, &message)
            guard code == SQLITE_OK else {
                let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
                sqlite3_free(message)
                sqlite3_close_v2(handle)
                throw DatabaseError(code: code, message: text, sql: pragma)
            }
        }
        return handle
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// For a connection whose file was lost (deleted, replaced, truncated):
    /// closing it then leaves the WAL alone instead of writing it into a
    /// file that is no longer the database.
    func skipCheckpointOnClose() {
        _ = storekeeper_sqlite3_skip_checkpoint_on_close(handle)
    }

    /// Runs `body` with no trigger firing on this connection, and turns them
    /// back on however it ends. Only for a caller that does the triggers'
    /// work itself (`IndexStore.insertNew`): other connections (`sqlite3`,
    /// another process) keep theirs, and nothing is written to the schema.
    /// Returns nil, without running `body`, when SQLite did not turn them off.
    func withoutTriggers<T>(_ body: () throws -> T) throws -> T? {
        guard storekeeper_sqlite3_enable_triggers(handle, 0) == 0 else {
            _ = storekeeper_sqlite3_enable_triggers(handle, 1)
            return nil
        }
        defer {
            // A connection left without triggers would write rows that no
            // longer move `usage` or the event log: stop rather than go on.
            let enabled = storekeeper_sqlite3_enable_triggers(handle, 1)
            precondition(enabled == 1, "SQLite did not turn the triggers back on")
        }
        return try body()
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs one or more statements that take no parameters (DDL, pragmas).
    func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw DatabaseError(code: code, message: text, sql: sql)
        }
    }

    /// A prepared statement for `sql`, compiled once per connection and reused.
    func statement(_ sql: String) throws(DatabaseError) -> Statement {
        if let cached = statements[sql] { return cached }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Drops a failed statement from the cache (see `Statement.failure`); a
    /// caller still holding it may use it again, reset as it is.
    func forget(_ statement: Statement) {
        if statements[statement.sql] === statement { statements[statement.sql] = nil }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed when it
    /// returns, rolled back when it throws, and the first error is rethrown.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        return result
    }

    /// True between a `BEGIN` and its end, or while a statement holds the
    /// implicit transaction of an unfinished step.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    var changes: Int { Int(sqlite3_changes64(handle)) }

    var userVersion: Int {
        get throws(DatabaseError) {
            try statement("PRAGMA user_version").firstRow { Int($0.int64(0)) } ?? 0
        }
    }
}

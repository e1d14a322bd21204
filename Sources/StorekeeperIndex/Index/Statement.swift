import CSQLite

// swift-format-ignore: AlwaysUseLowerCamelCase
/// SQLite copies bound text and blobs at once, so callers' buffers may go away.
let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A prepared statement, owned by exactly one `Database` and finalized once.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    unowned let database: Database

    init(database: Database, sql: String) throws(DatabaseError) {
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw DatabaseError(code: code, message: database.lastMessage, sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds values to `?1, ?2, …`; the last use left the statement reset
    /// with no bindings.
    func bind(_ values: [DatabaseValue]) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        precondition(values.count == expected, "\(sql): \(values.count) values for \(expected) parameters")
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let bytes):
                // TEXT holding the exact bytes: `WHERE path = 'temp/a'` works in
                // sqlite3, and a non-UTF-8 name is stored unchanged.
                code = bytes.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) {
                        sqlite3_bind_text(handle, index, $0, Int32(buffer.count), SQLITE_TRANSIENT)
                    }
                }
            }
            // A bind can only fail on our bug (bad index, wrong count).
            precondition(code == SQLITE_OK, "bind \(index) of \(sql): \(database.lastMessage)")
        }
    }

    /// Runs a statement as a command. One that returns rows (a pragma that
    /// answers, `RETURNING`) is stepped to its end, as GRDB does: the rows
    /// after the first may still have work to do.
    func execute(_ values: [DatabaseValue] = []) throws(DatabaseError) {
        bind(values)
        defer { endUse() }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            if code != SQLITE_ROW { throw failure(code) }
        }
    }

    /// Steps through every result row, handing each to `body` while it is current.
    func forEachRow(_ values: [DatabaseValue] = [], _ body: (Row) throws -> Void) throws {
        bind(values)
        defer { endUse() }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try body(Row(handle: handle))
        }
    }

    /// The first row mapped by `transform`, or nil when there is none.
    func firstRow<T>(_ values: [DatabaseValue] = [], _ transform: (Row) -> T) throws(DatabaseError) -> T? {
        bind(values)
        defer { endUse() }
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else { throw failure(code) }
        return transform(Row(handle: handle))
    }

    /// Leaves the statement as a new one: reset, so it holds no read lock
    /// and no unfinished implicit transaction, and with no bound copies kept.
    private func endUse() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// The error of a failed step, with SQLite's message read before anything
    /// else can replace it. The statement leaves the connection's cache, as a
    /// failed statement does in GRDB: the next use prepares a fresh one, so
    /// nothing of the failure can be carried into it.
    private func failure(_ code: Int32) -> DatabaseError {
        let error = DatabaseError(code: code, message: database.lastMessage, sql: sql)
        endUse()
        database.forget(self)
        return error
    }
}

/// A value bound to a statement. Text is bytes, never a lossy `String`.
enum DatabaseValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])

    static func string(_ value: String) -> DatabaseValue { .text(Array(value.utf8)) }
    static func int(_ value: Int) -> DatabaseValue { .integer(Int64(value)) }
    static func optional(_ value: Int64?) -> DatabaseValue { value.map(DatabaseValue.integer) ?? .null }
}

/// The current row of a stepping statement; valid only inside the callback.
struct Row {
    let handle: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func bytes(_ column: Int32) -> [UInt8] {
        guard let text = sqlite3_column_text(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeBufferPointer(start: text, count: count))
    }

    func string(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }
    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }
}

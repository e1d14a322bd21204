import CSQLite

/// SQLite copies bound text and blobs at once, so callers' buffers may go away.
let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A prepared statement, owned by exactly one `Database` and finalized once.
public final class Statement {
    let handle: OpaquePointer
    public let sql: String
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

    /// Binds values to `?1, ?2, …` after clearing what the last use left behind.
    public func bind(_ values: [DatabaseValue]) {
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

    /// Runs a statement that returns no rows.
    public func execute(_ values: [DatabaseValue] = []) throws(DatabaseError) {
        bind(values)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(code: code, message: database.lastMessage, sql: sql)
        }
    }

    /// Steps through every result row, handing each to `body` while it is current.
    public func forEachRow(_ values: [DatabaseValue] = [], _ body: (Row) throws -> Void) throws {
        bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(code: code, message: database.lastMessage, sql: sql)
            }
            try body(Row(handle: handle))
        }
    }

    /// The first row mapped by `transform`, or nil when there is none.
    public func firstRow<T>(_ values: [DatabaseValue] = [], _ transform: (Row) -> T) throws(DatabaseError) -> T? {
        bind(values)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else {
            throw DatabaseError(code: code, message: database.lastMessage, sql: sql)
        }
        return transform(Row(handle: handle))
    }
}

/// A value bound to a statement. Text is bytes, never a lossy `String`.
public enum DatabaseValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])

    public static func string(_ value: String) -> DatabaseValue { .text(Array(value.utf8)) }
    public static func int(_ value: Int) -> DatabaseValue { .integer(Int64(value)) }
    public static func optional(_ value: Int64?) -> DatabaseValue { value.map(DatabaseValue.integer) ?? .null }
}

/// The current row of a stepping statement; valid only inside the callback.
public struct Row {
    let handle: OpaquePointer

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    public func bytes(_ column: Int32) -> [UInt8] {
        guard let text = sqlite3_column_text(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeBufferPointer(start: text, count: count))
    }

    public func string(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }
    public func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }
}

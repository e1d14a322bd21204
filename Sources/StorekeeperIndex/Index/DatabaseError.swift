import CSQLite

/// A failed SQLite call, as data: the result code, SQLite's message, and the
/// SQL that was running, so a log line alone says what went wrong where.
///
/// Matched by code the way GRDB does it:
/// `catch let error as DatabaseError where error.resultCode == .busy`, or
/// `catch ResultCode.constraint` (a primary code matches its extended codes).
public struct DatabaseError: Error, Equatable, CustomStringConvertible {
    /// The code SQLite returned (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_CONSTRAINT_UNIQUE`, …):
    /// connections open with extended result codes on.
    public let extendedResultCode: ResultCode
    public let message: String
    public let sql: String?

    public init(resultCode: ResultCode, message: String, sql: String? = nil) {
        extendedResultCode = resultCode
        self.message = message
        self.sql = sql
    }

    init(code: Int32, message: String, sql: String? = nil) {
        self.init(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }

    /// The primary result code (`.busy` for `SQLITE_BUSY_SNAPSHOT`, …).
    public var resultCode: ResultCode { extendedResultCode.primary }

    /// Another connection holds the lock (an operator's `sqlite3` in a
    /// transaction): the same work succeeds later.
    public var isBusy: Bool { resultCode == .busy || resultCode == .locked }

    /// The filesystem has no room for the write (the WAL or its shared-memory
    /// file cannot grow): the same work succeeds once space is freed.
    public var isDiskFull: Bool { resultCode == .full || extendedResultCode == .ioErrorSharedMemorySize }

    /// The file is damaged or not a database: no retry helps, a rebuild does.
    public var isCorrupt: Bool { resultCode == .corrupt || resultCode == .notADatabase }

    /// Worth retrying as it is, with the changes kept: busy or out of space.
    public var isTransient: Bool { isBusy || isDiskFull }

    public var description: String {
        var text = "SQLite error \(extendedResultCode): \(message)"
        if let sql { text += " — while running: \(sql)" }
        return text
    }
}

/// An SQLite result code, primary or extended (https://www.sqlite.org/rescode.html).
/// Only the codes the index acts on are named; any other still compares by value.
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code: the least significant 8 bits of an extended one.
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }

    public var isPrimary: Bool { self == primary }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let cannotOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)
    public static let row = ResultCode(rawValue: SQLITE_ROW)
    public static let done = ResultCode(rawValue: SQLITE_DONE)

    // Extended codes are macro expressions Swift does not import.
    public static let busySnapshot = ResultCode(rawValue: SQLITE_BUSY | (2 << 8))
    /// The WAL's shared-memory file cannot grow: the disk is full.
    public static let ioErrorSharedMemorySize = ResultCode(rawValue: SQLITE_IOERR | (19 << 8))
    public static let constraintForeignKey = ResultCode(rawValue: SQLITE_CONSTRAINT | (3 << 8))
    public static let constraintNotNull = ResultCode(rawValue: SQLITE_CONSTRAINT | (5 << 8))
    public static let constraintPrimaryKey = ResultCode(rawValue: SQLITE_CONSTRAINT | (6 << 8))
    public static let constraintUnique = ResultCode(rawValue: SQLITE_CONSTRAINT | (8 << 8))

    /// `1555 (constraint failed)`: the number to look up, and SQLite's name for it.
    public var description: String { "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))" }

    /// A primary code matches itself and its extended codes; an extended
    /// code matches only itself (as in GRDB).
    public static func ~= (pattern: ResultCode, code: ResultCode) -> Bool {
        pattern.isPrimary ? pattern == code.primary : pattern == code
    }

    /// `catch ResultCode.busy { … }`: a `DatabaseError` whose code matches.
    public static func ~= (pattern: ResultCode, error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return pattern ~= error.extendedResultCode
    }
}

import TestSupport
import Testing

@testable import StorekeeperIndex

/// `DatabaseError` is matched by its code, as in GRDB: the primary code
/// matches every extended code under it, and the message and SQL stay.
@Suite struct DatabaseErrorCodeTests {
    let directory: TemporaryDirectory
    let store: IndexStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    /// A second connection that gives up at once instead of waiting for the lock.
    func impatientConnection() throws -> Database {
        try Database(path: store.path, busyTimeoutMilliseconds: 0)
    }

    func file(_ path: String) -> IndexedFile {
        IndexedFile(
            path: Array(path.utf8), category: "temp", kind: .file, size: 1, mtime: 1, mtimeNanoseconds: 0, inode: 1,
            pathDate: nil)
    }

    @Test func busyWhileAnotherConnectionHoldsBeginImmediate() throws {
        let holder = try impatientConnection()
        try holder.execute("BEGIN IMMEDIATE")
        defer { try? holder.execute("ROLLBACK") }

        var caught: DatabaseError?
        do {
            try store.write { try store.insert(file("temp/a"), now: 0) }
        } catch let error as DatabaseError where error.resultCode == .busy {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.isBusy && error.isTransient)
        #expect(error.sql == "BEGIN IMMEDIATE")
        #expect(!error.message.isEmpty)
        #expect(error.description.hasPrefix("SQLite error 5 (database is locked): "))
    }

    /// Whether `body` failed with an error the pattern `ResultCode.busy` matches.
    static func failsAsBusy(_ body: () throws -> Void) -> Bool {
        do {
            try body()
        } catch ResultCode.busy {
            return true
        } catch {
            return false
        }
        return false
    }

    @Test func busyMatchesAsACatchPattern() throws {
        let holder = try impatientConnection()
        try holder.execute("BEGIN IMMEDIATE")
        let writer = try impatientConnection()
        let busy = Self.failsAsBusy {
            try writer.statement("INSERT INTO meta (key, value) VALUES ('k', 'v')").execute()
        }
        try holder.execute("ROLLBACK")
        #expect(busy)
        #expect(!Self.failsAsBusy { try writer.execute("SELECT no_such_function()") })
    }

    @Test func constraintByPrimaryAndExtendedCode() throws {
        try store.insert(file("temp/a"), now: 0)
        var caught: DatabaseError?
        do {
            try store.insert(file("temp/a"), now: 0)
        } catch let error as DatabaseError where error.resultCode == .constraint {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.extendedResultCode == .constraintUnique)
        #expect(error.extendedResultCode != .constraint)
        #expect(ResultCode.constraint ~= error.extendedResultCode)
        #expect(!(ResultCode.constraintPrimaryKey ~= error.extendedResultCode))
        #expect(error.message.contains("files.path"))
        #expect(error.sql?.contains("INSERT INTO files") == true)
        #expect(!error.isBusy && !error.isTransient && !error.isCorrupt)
        // The failed insert left the cached statement usable.
        try store.insert(file("temp/b"), now: 0)
        #expect(try store.file(at: Array("temp/b".utf8)) != nil)
    }

    @Test func resultCodeValues() {
        #expect(ResultCode.busy.rawValue == 5)
        #expect(ResultCode.constraint.rawValue == 19)
        #expect(ResultCode.constraintUnique.rawValue == 2067)
        #expect(ResultCode.busySnapshot.primary == .busy)
        #expect(ResultCode.ioErrorSharedMemorySize.rawValue == 4874)
        let diskFull = DatabaseError(resultCode: .ioErrorSharedMemorySize, message: "shm")
        #expect(diskFull.isDiskFull && diskFull.resultCode == .ioError)
    }
}

import TestSupport
import Testing

@testable import StorekeeperIndex

/// Prepared statements are cached per connection and reused; a failure must
/// not leave its mark on the next use, and a command runs to its end.
@Suite struct StatementHandlingTests {
    let directory: TemporaryDirectory
    let database: Database

    init() throws {
        directory = try TemporaryDirectory()
        database = try Database(path: directory.path("statements.db"))
        try database.execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE CHECK (x > 0))")
    }

    func values() throws -> [Int64] {
        var rows: [Int64] = []
        try database.statement("SELECT x FROM t ORDER BY x").forEachRow { rows.append($0.int64(0)) }
        return rows
    }

    @Test func aFailedStatementFromTheCacheWorksTheNextTime() throws {
        let sql = "INSERT INTO t (x) VALUES (?1)"
        try database.statement(sql).execute([.integer(1)])
        #expect(throws: DatabaseError.self) { try database.statement(sql).execute([.integer(1)]) }
        #expect(throws: DatabaseError.self) { try database.statement(sql).execute([.integer(-1)]) }
        try database.statement(sql).execute([.integer(2)])
        #expect(try values() == [1, 2])
        // The failure held no implicit transaction open.
        #expect(!database.isInTransaction)
    }

    @Test func aFailedStatementKeptByItsCallerWorksTheNextTime() throws {
        let insert = try database.statement("INSERT INTO t (x) VALUES (?1)")
        try insert.execute([.integer(1)])
        #expect(throws: DatabaseError.self) { try insert.execute([.integer(1)]) }
        try insert.execute([.integer(3)])
        #expect(try values() == [1, 3])
    }

    @Test func aQueryThatFailedMidWayWorksTheNextTime() throws {
        try database.execute("INSERT INTO t (x) VALUES (1), (2)")
        // abs() of the smallest integer overflows: the second row fails.
        let sql = "SELECT abs(CASE WHEN x = 2 THEN ?1 ELSE x END) FROM t ORDER BY x"
        var seen: [Int64] = []
        #expect(throws: DatabaseError.self) {
            try database.statement(sql).forEachRow([.integer(Int64.min)]) { seen.append($0.int64(0)) }
        }
        #expect(seen == [1])
        #expect(!database.isInTransaction)
        seen = []
        try database.statement(sql).forEachRow([.integer(5)]) { seen.append($0.int64(0)) }
        #expect(seen == [1, 5])
    }

    @Test func executeStepsARowReturningStatementToItsEnd() throws {
        try database.execute("INSERT INTO t (x) VALUES (1), (2), (3)")
        // Only the last row fails: a command that stopped at the first row
        // would report success for work it never finished.
        let failsOnLastRow = "SELECT abs(CASE WHEN x = 3 THEN ?1 ELSE x END) FROM t ORDER BY x"
        #expect(throws: DatabaseError.self) { try database.statement(failsOnLastRow).execute([.integer(Int64.min)]) }
        try database.statement(failsOnLastRow).execute([.integer(3)])
        #expect(!database.isInTransaction)

        let returning = try database.statement("DELETE FROM t WHERE x > ?1 RETURNING x")
        try returning.execute([.integer(1)])
        #expect(try values() == [1])
        #expect(!database.isInTransaction)
    }
}

import Testing

@testable import StorekeeperIndex

/// The cookbook's trash query against the cookbook's index with trash rows
/// added: oldest first, other tools' items (no category) included.
@Suite struct QueryCookbookTrashTests {
    @Test func theTrashIsListedOldestFirst() throws {
        let cookbook = try QueryCookbookTests()
        try cookbook.store.database.execute(
            """
            INSERT INTO trash (trash_name, original_path, category, size, deleted_at) VALUES
                ('new.tmp', 'temp/job_2/new.tmp', 'temp', 30, \(cookbook.now - 60)),
                ('old.jpg', 'frames/2023/old.jpg', 'frames', 70, \(cookbook.now - 86_400)),
                ('notes.txt', 'uploads/notes.txt', NULL, 5, \(cookbook.now - 3_600));
            """)
        let rows = try cookbook.output(of: "The trash").map {
            $0.split(separator: "|", omittingEmptySubsequences: false)
        }
        #expect(rows.map { String($0[1]) } == ["frames/2023/old.jpg", "uploads/notes.txt", "temp/job_2/new.tmp"])
        #expect(rows.map { String($0[2]) } == ["frames", "", "temp"])
        #expect(rows.map { String($0[4]) } == ["old.jpg", "notes.txt", "new.tmp"])
    }
}

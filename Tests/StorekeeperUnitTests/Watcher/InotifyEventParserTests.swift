import Glibc
import Testing

@testable import StorekeeperEngine

/// `InotifyEvent.parse` on buffers laid out as the kernel lays them out:
/// a 16-byte header (wd, mask, cookie, len) and `len` bytes of name, the
/// name NUL-terminated and padded with NULs.
@Suite struct InotifyEventParserTests {
    /// One record's bytes; `padTo` rounds the name field up as the kernel does.
    static func record(
        watch: Int32, mask: Int32, cookie: UInt32 = 0, name: String = "", padTo alignment: Int = 16
    ) -> [UInt8] {
        var nameField = Array(name.utf8)
        if !nameField.isEmpty {
            nameField.append(0)
            while nameField.count % alignment != 0 { nameField.append(0) }
        }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: watch.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(bitPattern: mask).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: cookie.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(nameField.count).littleEndian) { bytes += $0 }
        return bytes + nameField
    }

    static func parse(_ bytes: [UInt8]) throws(InotifyEvent.ParseError) -> [InotifyEvent] {
        // Copied into 16-byte-aligned memory, like the reader's buffer.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
    }

    @Test func severalRecordsInOneBuffer() throws {
        let bytes =
            Self.record(watch: 1, mask: IN_CREATE, name: "a.txt")
            + Self.record(watch: 2, mask: IN_MOVED_FROM | IN_ISDIR, cookie: 77, name: "folder")
            + Self.record(watch: 3, mask: IN_MOVED_TO | IN_ISDIR, cookie: 77, name: "renamed")
        let events = try Self.parse(bytes)
        #expect(
            events == [
                InotifyEvent(watch: 1, mask: UInt32(IN_CREATE), cookie: 0, name: Array("a.txt".utf8)),
                InotifyEvent(watch: 2, mask: UInt32(IN_MOVED_FROM | IN_ISDIR), cookie: 77, name: Array("folder".utf8)),
                InotifyEvent(watch: 3, mask: UInt32(IN_MOVED_TO | IN_ISDIR), cookie: 77, name: Array("renamed".utf8)),
            ])
        #expect(events[1].isDirectory && events[1].has(IN_MOVED_FROM) && !events[1].has(IN_MOVED_TO))
        #expect(!events[0].isDirectory)
    }

    @Test func theNULPaddingIsNotPartOfTheName() throws {
        // 15 bytes of name: one NUL ends it exactly at 16; 16 bytes need a second block of padding.
        for length in [1, 15, 16, 17, 40] {
            let name = String(repeating: "n", count: length)
            let record = Self.record(watch: 5, mask: IN_MODIFY, name: name, padTo: 16)
            #expect((record.count - InotifyEvent.headerSize) % 16 == 0)
            let events = try Self.parse(record + Self.record(watch: 6, mask: IN_DELETE, name: "next"))
            #expect(events.map(\.name) == [Array(name.utf8), Array("next".utf8)], "a name of \(length) bytes")
        }
    }

    @Test func aNameThatIsNotUTF8IsKeptAsBytes() throws {
        var record = Self.record(watch: 1, mask: IN_CREATE, name: "xx")
        record[InotifyEvent.headerSize] = 0xFF
        record[InotifyEvent.headerSize + 1] = 0xFE
        #expect(try Self.parse(record).first?.name == [0xFF, 0xFE])
    }

    @Test func aZeroLengthNameIsAnEventOnTheWatchItself() throws {
        let events = try Self.parse(
            Self.record(watch: 9, mask: IN_DELETE_SELF) + Self.record(watch: 9, mask: IN_IGNORED)
                + Self.record(watch: 4, mask: IN_CREATE, name: "after"))
        #expect(events.count == 3)
        #expect(events[0] == InotifyEvent(watch: 9, mask: UInt32(IN_DELETE_SELF), cookie: 0, name: []))
        #expect(events[1].has(IN_IGNORED) && events[1].name.isEmpty)
        #expect(events[2].name == Array("after".utf8))
    }

    @Test func aQueueOverflowRecordHasNoWatchAndNoName() throws {
        let events = try Self.parse(
            Self.record(watch: 3, mask: IN_CLOSE_WRITE, name: "f") + Self.record(watch: -1, mask: IN_Q_OVERFLOW))
        #expect(events.count == 2)
        #expect(events[1].watch == -1 && events[1].has(IN_Q_OVERFLOW) && events[1].name.isEmpty)
    }

    @Test func anEmptyBufferHoldsNoEvents() throws {
        #expect(try Self.parse([]).isEmpty)
    }

    @Test func aTruncatedHeaderIsReportedAtItsOffset() {
        let first = Self.record(watch: 1, mask: IN_CREATE, name: "a")
        let second = Self.record(watch: 2, mask: IN_CREATE, name: "b")
        #expect(throws: InotifyEvent.ParseError.truncated(offset: first.count)) {
            try Self.parse(first + second.prefix(InotifyEvent.headerSize - 1))
        }
    }

    @Test func aNameThatOverrunsTheBufferIsReportedNotReadPast() {
        let first = Self.record(watch: 1, mask: IN_CREATE, name: "a")
        let second = Self.record(watch: 2, mask: IN_CREATE, name: "a longer name")
        #expect(throws: InotifyEvent.ParseError.truncated(offset: first.count)) {
            try Self.parse(first + second.dropLast())
        }
        #expect(throws: InotifyEvent.ParseError.truncated(offset: 0)) {
            try Self.parse(Array(second.prefix(InotifyEvent.headerSize + 1)))
        }
    }
}

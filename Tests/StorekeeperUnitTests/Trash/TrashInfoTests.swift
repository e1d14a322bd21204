import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperSystem

/// The `.trashinfo` format: what trash-cli, send2trash and file managers read
/// and write (trash spec 1.0).
@Suite struct TrashInfoTests {
    static let oddNames: [[UInt8]] = [
        Array("/srv/storage/uploads/2026-11-01/clip one.mp4".utf8),
        Array("/base/new\nline/tab\there".utf8),
        [0x2F, 0x62, 0x2F, 0xFF, 0xFE, 0x80, 0x2F, 0x25, 0x32, 0x30, 0x25],
        Array("/é/日本語/🎞.jpg".utf8),
        Array("/a+b=c&d?e#f;g,h'i\"j(k)l!m*n~o_p.q-r".utf8),
        Array(1...255).map { UInt8($0) },
    ]

    @Test func writesTheSpecLayoutWithAnAbsolutePercentEncodedPath() {
        let info = TrashInfo(
            path: Array("/srv/storage/uploads/a b%.jpg".utf8),
            deletionDate: DeletionDate(year: 2026, month: 11, day: 2, hour: 5, minute: 4, second: 3))
        #expect(
            String(decoding: info.serialized, as: UTF8.self)
                == "[Trash Info]\nPath=/srv/storage/uploads/a%20b%25.jpg\nDeletionDate=2026-11-02T05:04:03\n")
    }

    @Test(arguments: oddNames)
    func percentEncodingRoundTripsEveryByte(path: [UInt8]) throws {
        let encoded = TrashInfo.percentEncoded(path)
        #expect(TrashInfo.percentDecoded(encoded) == path)
        // One line of printable ASCII, whatever the name holds.
        #expect(encoded.allSatisfy { (0x21...0x7E).contains($0) })
        let date = DeletionDate(year: 2026, month: 1, day: 31, hour: 23, minute: 59, second: 59)
        let parsed = try TrashInfo.parse(TrashInfo(path: path, deletionDate: date).serialized)
        #expect(parsed.path == path && parsed.deletionDate == date)
    }

    /// trash-cli writes `Path` with Python's `quote(path, '/')`; ours must be
    /// byte-for-byte the same, so either side reads the other's names.
    @Test func encodingMatchesPythonQuote() throws {
        let script = """
            import sys, urllib.parse
            for line in sys.stdin.read().split():
                print(urllib.parse.quote(bytes.fromhex(line), '/'))
            """
        let input = Self.oddNames.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
        let result = try Shell.run(
            [try Shell.require("python3", installedBy: "the base system"), "-c", script], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == Self.oddNames.map { String(decoding: TrashInfo.percentEncoded($0), as: UTF8.self) })
    }

    @Test func decodingToleratesLowercaseAndLeavesBrokenEscapesAlone() {
        #expect(TrashInfo.percentDecoded(Array("a%2fb%C3%a9".utf8)) == Array("a/bé".utf8))
        #expect(TrashInfo.percentDecoded(Array("100%zz%4%".utf8)) == Array("100%zz%4%".utf8))
    }

    @Test func parsingIsLenientWhereTheSpecAllowsIt() throws {
        let text = """
            # written by some file manager\r
            [Trash Info]\r
            X-Unknown=whatever\r
            Path = /base/a%20b\r
            DeletionDate=20040831T22:32:08\r
            Path=/base/second-one-is-ignored\r
            [Other Group]\r
            DeletionDate=1999-01-01T00:00:00\r
            """
        let info = try TrashInfo.parse(Array(text.utf8))
        #expect(info.path == Array("/base/a b".utf8))
        #expect(info.deletionDate == DeletionDate(year: 2004, month: 8, day: 31, hour: 22, minute: 32, second: 8))
    }

    @Test(arguments: [
        ("Path=/a\nDeletionDate=2026-01-01T00:00:00\n", "the first line is not [Trash Info]"),
        ("[Trash Info]\nDeletionDate=2026-01-01T00:00:00\n", "no Path key"),
        ("[Trash Info]\nPath=\nDeletionDate=2026-01-01T00:00:00\n", "Path is empty"),
        ("[Trash Info]\nPath=/a%00b\nDeletionDate=2026-01-01T00:00:00\n", "Path holds a NUL byte"),
        ("[Trash Info]\nPath=/a\n", "no DeletionDate key"),
        (
            "[Trash Info]\nPath=/a\nDeletionDate=2026-13-01T00:00:00\n",
            "DeletionDate '2026-13-01T00:00:00' is not YYYY-MM-DDThh:mm:ss"
        ),
        (
            "[Trash Info]\nPath=/a\nDeletionDate=2026-01-01T00:00:00Z\n",
            "DeletionDate '2026-01-01T00:00:00Z' is not YYYY-MM-DDThh:mm:ss"
        ),
        ("", "the first line is not [Trash Info]"),
    ])
    func unparseableInfoSaysWhy(text: String, message: String) {
        #expect(throws: TrashInfo.ParseError(message: message)) { try TrashInfo.parse(Array(text.utf8)) }
    }

    /// DeletionDate is local wall-clock time: the same text `date` prints for
    /// that moment in this process's zone, and read back to the same second.
    @Test(arguments: [0, 1_000_000_000, 1_800_000_000, 1_709_251_199] as [Int64])
    func deletionDatesAreLocalTime(seconds: Int64) throws {
        let date = DeletionDate(localTimeOf: seconds)
        let result = try Shell.run(["date", "-d", "@\(seconds)", "+%Y-%m-%dT%H:%M:%S"])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(date)")
        #expect(date.secondsSinceEpoch == seconds)
        #expect(DeletionDate(parsing: Array("\(date)".utf8)) == date)
    }
}

import Foundation
import Glibc

/// A fresh directory from `mkdtemp`, removed with everything in it when the
/// last reference goes. Keep it in a stored property of the test suite (whose
/// instance lives exactly as long as one test) so it outlives every file and
/// database opened inside it.
final class TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String = "storekeeper-test") throws {
        let parent = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        var template = Array("\(parent)\(prefix)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `relative` inside this directory.
    func path(_ relative: String) -> String { path + "/" + relative }
}

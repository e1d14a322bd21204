import Foundation
import Glibc

/// A fresh directory from `mkdtemp`, removed with everything in it when the
/// last reference goes. Keep it in a stored property of the test suite (whose
/// instance lives exactly as long as one test) so it outlives every file and
/// database opened inside it.
package final class TemporaryDirectory: Sendable {
    package let path: String

    /// `<parent>/<prefix>-XXXXXX`; `parent` is the system's temporary directory unless given.
    package init(prefix: String = "storekeeper-test", under parent: String = NSTemporaryDirectory()) throws {
        let folder = parent.hasSuffix("/") ? parent : parent + "/"
        var template = Array("\(folder)\(prefix)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Foundation cannot remove what a test made immutable (`chattr +i`) or
    /// named with bytes that are not UTF-8; `rm` can, once the flags are off.
    deinit {
        guard (try? FileManager.default.removeItem(atPath: path)) == nil else { return }
        _ = try? Shell.run(["chattr", "-R", "-i", path], in: "/")
        _ = try? Shell.run(["rm", "-rf", path], in: "/")
    }

    /// The absolute path of `relative` inside this directory.
    package func path(_ relative: String) -> String { path + "/" + relative }
}

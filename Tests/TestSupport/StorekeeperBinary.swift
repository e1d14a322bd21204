import Foundation
import Glibc

/// Runs the built `storekeeper` executable, as a user would, and captures what
/// it printed. The test bundle sits beside it in the build folder.
package enum StorekeeperBinary {
    /// The name end-to-end tests knew the result by before there was one runner.
    package typealias Result = Shell.Result

    package static var path: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        while directory.path != "/"
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("storekeeper").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("storekeeper").path
    }

    /// Runs `storekeeper args…` in `directory` with `environment` added to a clean one.
    package static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], asUser uid: Int? = nil
    ) throws -> Result {
        var command = [path] + arguments
        if let uid {
            command = ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] + command
        }
        return try Shell.run(command, in: directory, environment: environment)
    }
}

import Glibc
import StorekeeperCLI

// Only the entry point lives here; everything else is in the libraries so
// tests can reach it.
var environment: [String: String] = [:]
var entry = environ
while let pointer = entry.pointee {
    let text = String(cString: pointer)
    if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    entry += 1
}
let code = CommandLineInterface.main(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
fflush(nil)
exit(code.rawValue)

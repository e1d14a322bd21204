import Foundation
import Testing

/// Runs PyYAML's `safe_load` on files and returns each result in a
/// canonical text form (or "error"), to compare with our reader.
enum PyYAML {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Floats as IEEE bit patterns and strings as UTF-8 hex, so no
    /// formatting difference between Python and Swift can hide a mismatch.
    static let script = """
        import sys, struct, yaml
        def c(v):
            if v is None: return 'null'
            if v is True: return 'true'
            if v is False: return 'false'
            if isinstance(v, int): return 'int:%d' % v
            if isinstance(v, float):
                return 'float:nan' if v != v else 'float:%d' % struct.unpack('<Q', struct.pack('<d', v))[0]
            if isinstance(v, str): return 'str:' + v.encode('utf-8', 'surrogatepass').hex()
            if isinstance(v, list): return '[' + ','.join(c(x) for x in v) + ']'
            if isinstance(v, dict): return '{' + ','.join(c(k) + ':' + c(x) for k, x in v.items()) + '}'
            return 'other:' + type(v).__name__
        for path in sys.argv[1:]:
            try:
                with open(path, 'rb') as f:
                    r = c(yaml.safe_load(f))
            except Exception:
                r = 'error'
            print(r)
        """

    static func hexString(_ string: String) -> String {
        "str:" + string.utf8.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    static func safeLoad(_ files: [String]) throws -> [String] {
        let (status, output) = try run(["-c", "import yaml"])
        guard status == 0 else {
            throw Unavailable(description: "python3 with PyYAML is required for the YAML cross-check (apt install python3-yaml): \(output)")
        }
        let (loadStatus, results) = try run(["-c", script] + files)
        let lines = results.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        guard loadStatus == 0, lines.count == files.count else {
            throw Unavailable(description: "the PyYAML helper failed (status \(loadStatus)): \(results)")
        }
        return lines
    }

    private static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

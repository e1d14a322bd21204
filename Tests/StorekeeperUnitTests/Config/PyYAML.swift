import Foundation
import TestSupport
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
        "str:"
            + string.utf8.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
    }

    static func safeLoad(_ files: [String]) throws -> [String] {
        let probe = try Shell.run(["python3", "-c", "import yaml"])
        guard probe.status == 0 else {
            throw Unavailable(
                description:
                    "python3 with PyYAML is required for the YAML cross-check (apt install python3-yaml): \(probe.stderr)"
            )
        }
        let loaded = try Shell.run(["python3", "-c", script] + files)
        let lines = loaded.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        guard loaded.status == 0, lines.count == files.count else {
            throw Unavailable(
                description: "the PyYAML helper failed (status \(loaded.status)): \(loaded.stdout)\(loaded.stderr)")
        }
        return lines
    }
}

import Glibc

/// Where commands write: results to stdout, diagnostics to stderr (CLI
/// contract, style rule 8). Tests run the binary and read both.
public enum Console {
    /// Buffered by Swift's `print`, which is safe from any thread.
    public static func out(_ text: String, terminator: String = "\n") {
        print(text, terminator: terminator)
    }

    /// Unbuffered, after flushing stdout so the two streams interleave in order.
    public static func error(_ text: String) {
        writeStandardError(text + "\n")
    }

    static func writeStandardError(_ text: String) {
        fflush(nil)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

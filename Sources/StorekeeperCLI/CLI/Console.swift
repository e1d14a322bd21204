import Glibc
import StorekeeperSystem

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
        writeBestEffort(Array(text.utf8), to: STDERR_FILENO)
    }

    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

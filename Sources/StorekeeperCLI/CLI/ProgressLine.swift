import Glibc
import StorekeeperSystem

/// One line of progress on stderr for long commands (files done, rate, elapsed),
/// redrawn in place. Silent when stderr is not a terminal or output is JSON, so
/// logs and pipes never collect carriage returns.
public final class ProgressLine {
    private let label: String
    private let enabled: Bool
    private let started: Double
    private var lastDrawn: Double = 0
    private var drew = false

    public init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
        started = MonotonicClock.seconds()
    }

    public func update(files: Int) {
        guard enabled else { return }
        let now = MonotonicClock.seconds()
        guard now - lastDrawn >= 0.2 else { return }
        lastDrawn = now
        let elapsed = now - started
        // The cursor goes back to the line's start, so a log line written
        // meanwhile overwrites the progress instead of trailing after it.
        Console.writeStandardError("\r\u{1B}[K" + Self.text(label: label, files: files, elapsed: elapsed) + "\r")
        drew = true
    }

    /// `clean: 1 file, 40 files/s, 0.2 s`
    static func text(label: String, files: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(files) / elapsed : 0
        return
            "\(label): \(Formatting.count(files, "file")), \(Int(rate)) files/s, \(Formatting.fixed(elapsed, digits: 1)) s"
    }

    public func finish() {
        guard drew else { return }
        Console.writeStandardError("\r\u{1B}[K")
        drew = false
    }
}

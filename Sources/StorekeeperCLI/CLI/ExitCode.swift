/// The exit codes of every command, after sysexits(3) where one fits.
public enum ExitCode: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 64
    case config = 78
}

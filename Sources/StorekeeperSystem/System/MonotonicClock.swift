import Glibc

/// Seconds on a clock that never jumps: deadlines, backoffs, rates and lags.
/// Wall-clock time (`WallClock`) is for what is recorded; this is for what is
/// waited on, so setting the system clock cannot stall or hurry a timer.
public enum MonotonicClock {
    @Sendable public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

import Glibc

/// Unix seconds now. Passed in as a function wherever time decides behaviour,
/// so tests can set the clock.
public enum WallClock {
    @Sendable public static func now() -> Int64 { Int64(time(nil)) }
}

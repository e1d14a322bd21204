import Glibc

/// How the C allocator gives freed memory back to the kernel.
public enum HeapTrimming {
    /// Freed memory up to this much stays in the heap instead of going back
    /// with `brk`.
    public static let keptBytes: Int32 = 16 << 20

    /// By default glibc returns the top of the heap once 128 KiB of it are
    /// free. SQLite opens a statement journal for every statement that fires
    /// a trigger (each event row does: the event log's counters) and frees it
    /// at the statement's end, so the heap grew and shrank twice per event —
    /// two `brk` calls and fresh zeroed pages for every file the watcher or
    /// the cleaner recorded. Keeping a few MiB makes that memory reused
    /// instead; the daemon's peak RSS is unchanged, it only stays at it.
    /// Returns whether the allocator took the setting.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        // `mallopt` is in <malloc.h>, which the Glibc module does not export:
        // looked up in libc like `statfs`. M_TRIM_THRESHOLD is -1 in glibc.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        let trimThreshold: Int32 = -1
        return unsafeBitCast(symbol, to: MalloptFunction.self)(trimThreshold, keptBytes) == 1
    }
}

import Glibc
import StorekeeperSystem

/// One inotify record, copied out of the kernel's buffer: the watch it came
/// from, what happened, the move cookie, and the entry's name as bytes.
public struct InotifyEvent: Equatable, Sendable {
    public let watch: Int32
    public let mask: UInt32
    public let cookie: UInt32
    public let name: [UInt8]

    public init(watch: Int32, mask: UInt32, cookie: UInt32, name: [UInt8]) {
        self.watch = watch
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }

    public func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
    public var isDirectory: Bool { has(IN_ISDIR) }

    /// The fixed part of a record: wd, mask, cookie, len.
    public static let headerSize = 16

    public enum ParseError: Error, Equatable {
        case truncated(offset: Int)
    }

    /// Parses every record in `buffer` (what one `read` returned). The kernel
    /// never splits a record across reads; a record that overruns the buffer is
    /// a bug worth stopping on, reported rather than read past.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws(ParseError) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        while offset < buffer.count {
            guard buffer.count - offset >= headerSize else { throw .truncated(offset: offset) }
            let watch = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard length <= buffer.count - nameStart else { throw .truncated(offset: offset) }
            // The name is NUL-padded to an alignment boundary.
            var nameEnd = nameStart
            while nameEnd < nameStart + length && buffer[nameEnd] != 0 { nameEnd += 1 }
            events.append(
                InotifyEvent(watch: watch, mask: mask, cookie: cookie, name: Array(buffer[nameStart..<nameEnd])))
            offset = nameStart + length
        }
        return events
    }
}

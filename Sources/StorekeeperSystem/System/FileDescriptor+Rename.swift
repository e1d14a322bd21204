import Glibc

/// `renameat2`, looked up at run time: Swift's Glibc module does not declare it
/// (it sits behind `_GNU_SOURCE`), and a libc without it still gets the
/// check-then-rename fallback below.
private typealias Renameat2 =
    @convention(c) (
        Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32
    ) -> Int32

private let renameat2Function: Renameat2? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
    return unsafeBitCast(symbol, to: Renameat2.self)
}()

// swift-format-ignore: AlwaysUseLowerCamelCase
private let RENAME_NOREPLACE: UInt32 = 1

extension FileDescriptor {
    /// Renames `name` in this directory to `newName` in `directory`, failing
    /// with EEXIST instead of replacing what is there: `rename(2)` would silently
    /// overwrite a file that appeared at the destination. Atomic where the
    /// filesystem supports `RENAME_NOREPLACE` (ext4, xfs, btrfs, tmpfs);
    /// elsewhere a `fstatat` check comes first, which only a concurrent writer
    /// in the same instant can defeat.
    package func renameWithoutReplacing(_ name: [UInt8], to directory: FileDescriptor, as newName: [UInt8])
        throws(SystemCallError)
    {
        if let renameat2Function {
            do {
                _ = try systemCall("renameat2", path: newName) {
                    PathBytes.withCString(name) { source in
                        PathBytes.withCString(newName) {
                            renameat2Function(rawValue, source, directory.rawValue, $0, RENAME_NOREPLACE)
                        }
                    }
                }
                return
            } catch  where error.errno == EINVAL || error.errno == ENOSYS {
                // This filesystem has no RENAME_NOREPLACE: fall back below.
            }
        }
        let taken: Bool
        do {
            _ = try directory.status(of: newName)
            taken = true
        } catch  where error.errno == ENOENT {
            taken = false
        }
        if taken { throw SystemCallError(call: "renameat", path: newName, errno: EEXIST) }
        _ = try systemCall("renameat", path: newName) {
            PathBytes.withCString(name) { source in
                PathBytes.withCString(newName) { renameat(rawValue, source, directory.rawValue, $0) }
            }
        }
    }
}

import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperSystem

/// The one way below the base: components are checked, symlinks are never
/// followed, and a mount point — a bind mount of the same filesystem too —
/// is never crossed.
@Suite struct DirectoryChainTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "directory-chain")
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func make(_ script: String) throws {
        let result = try Shell.run(["bash", "-c", "set -e\n" + script], in: directory.path)
        try #require(result.status == 0, "\(result.stderr)")
    }

    @Test func componentsRefuseWhatIsNotAPathOfTheTree() {
        #expect(DirectoryChain.components([]) == [])
        #expect(
            DirectoryChain.components(Self.bytes("temp/a/b")) == [Self.bytes("temp"), Self.bytes("a"), Self.bytes("b")])
        for invalid in ["temp/../../victim/secret", "..", "temp/./a", "/etc/passwd", "temp//a", "temp/a/", "."] {
            #expect(DirectoryChain.components(Self.bytes(invalid)) == nil, "\(invalid)")
        }
        #expect(DirectoryChain.components(Self.bytes("temp/a") + [0] + Self.bytes("b")) == nil)
        // Names are bytes: not UTF-8 is still a name.
        #expect(DirectoryChain.components([0x74, 0xFF, 0x2F, 0x61]) == [[0x74, 0xFF], [0x61]])
        #expect(DirectoryChain.isValidComponent(Self.bytes("...")))
        #expect(!DirectoryChain.isValidComponent(Self.bytes("a/b")))
    }

    @Test func opensRealFoldersAndRefusesSymlinksAndDotDot() throws {
        try make("mkdir -p base/temp/a outside && ln -s ../outside base/temp/link && echo x > base/temp/a/f")
        let chain = try DirectoryChain(basePath: directory.path("base"))
        let opened = try chain.open(Self.bytes("temp/a"))
        let entry = try chain.entry(Self.bytes("f"), in: opened, path: Self.bytes("temp/a/f"))
        #expect(entry.status.kind == .file && entry.status.size == 2)
        #expect(chain.isInside(entry))

        #expect(throws: DirectoryChainError(.invalidPath, path: Self.bytes("temp/../outside"))) {
            try chain.open(Self.bytes("temp/../outside"))
        }
        do {
            _ = try chain.open(Self.bytes("temp/link"))
            Issue.record("a symlink was followed")
        } catch {
            #expect(
                error.kind == .system && (error.errno == ELOOP || error.errno == ENOTDIR)
                    && error.path == Self.bytes("temp/link"))
        }
        do {
            _ = try chain.open(Self.bytes("temp/missing/deeper"))
            Issue.record("a missing folder was opened")
        } catch {
            #expect(error.kind == .system && error.errno == ENOENT && error.path == Self.bytes("temp/missing"))
        }
    }

    @Test func entryMatchesStatAndCarriesTheCtime() throws {
        try make("mkdir base && printf abc > base/f && touch -d @1600000000 base/f && ln -s f base/l")
        let chain = try DirectoryChain(basePath: directory.path("base"))
        let entry = try chain.entry(Self.bytes("f"), in: chain.base, path: Self.bytes("f"))
        let seen = try chain.base.status(of: Self.bytes("f"))
        #expect(entry.status == seen, "\(entry.status) \(seen)")
        #expect(entry.status.mtime == 1_600_000_000)
        var st = stat()
        #expect(lstat(directory.path("base/f"), &st) == 0)
        #expect(entry.ctime == Int64(st.st_ctim.tv_sec) && entry.ctime > 1_600_000_000)
        #expect(try chain.entry(Self.bytes("l"), in: chain.base, path: Self.bytes("l")).status.kind == .symlink)
        #expect(entry.mountID != nil, "this kernel reports mount ids")
    }

    @Test(.enabled(if: geteuid() == 0, "bind mounts need root"))
    func aBindMountOfTheSameFilesystemIsAMountPoint() throws {
        try make("mkdir -p base/temp/bound base/temp/plain outside && echo secret > outside/secret")
        let target = directory.path("base/temp/bound")
        defer { _ = try? Shell.run(["umount", "-l", target]) }
        let mount = try Shell.run(["mount", "--bind", directory.path("outside"), target])
        try #require(mount.status == 0, "\(mount.stderr)")

        let chain = try DirectoryChain(basePath: directory.path("base"))
        let temp = try chain.open(Self.bytes("temp"))
        let bound = try chain.entry(Self.bytes("bound"), in: temp, path: Self.bytes("temp/bound"))
        // The device alone cannot tell: that is why the mount id is compared.
        #expect(bound.status.device == chain.baseDevice)
        #expect(!chain.isInside(bound))
        #expect(chain.isInside(try chain.entry(Self.bytes("plain"), in: temp, path: Self.bytes("temp/plain"))))
        #expect(throws: DirectoryChainError(.mountPoint, path: Self.bytes("temp/bound"))) {
            try chain.open(Self.bytes("temp/bound"))
        }
        #expect(throws: DirectoryChainError(.mountPoint, path: Self.bytes("temp/bound"))) {
            try chain.openChild(Self.bytes("bound"), in: temp, path: Self.bytes("temp/bound"))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "bind mounts need root"))
    func removeTreeStopsAtABindMountWithoutTouchingIt() throws {
        try make(
            "mkdir -p base/job/mnt outside && echo keep > outside/keep && chmod 0755 outside && echo a > base/job/a")
        let target = directory.path("base/job/mnt")
        defer { _ = try? Shell.run(["umount", "-l", target]) }
        let mount = try Shell.run(["mount", "--bind", directory.path("outside"), target])
        try #require(mount.status == 0, "\(mount.stderr)")
        // Trashed without permissions: the purge would open it up first.
        try make("chmod 0 base/job")

        let chain = try DirectoryChain(basePath: directory.path("base"))
        do {
            try chain.base.removeTree(Self.bytes("job"), within: chain)
            Issue.record("a folder holding a mount point was removed")
        } catch {
            #expect(error.errno == EXDEV && error.path == Self.bytes("mnt"))
        }
        var st = stat()
        #expect(lstat(directory.path("outside"), &st) == 0 && st.st_mode & 0o7777 == 0o755)
        #expect(FileManager.default.fileExists(atPath: directory.path("outside/keep")))
        #expect(try chain.base.treeSize(of: Self.bytes("job"), within: chain) >= 0)
    }
}

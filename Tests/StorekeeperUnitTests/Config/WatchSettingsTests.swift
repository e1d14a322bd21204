import Testing

@testable import StorekeeperConfig
@testable import StorekeeperSystem

@Suite struct WatchSettingsTests {
    func load(_ watch: String) throws(ConfigError) -> Configuration {
        let text = "storage:\n  base_path: /srv/storage\n" + watch
        return try ConfigurationLoader.load(text: text, file: "c.yaml", environment: [:], currentDirectory: "/").0
    }

    func failure(_ watch: String) -> String? {
        do {
            _ = try load(watch)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func inotifyIsTheDefault() throws {
        let configuration = try load("")
        #expect(configuration.watch == WatchSettings(mode: .inotify, pollIntervalSeconds: 300))
    }

    @Test func pollModeWithItsInterval() throws {
        let configuration = try load("  watch:\n    mode: poll\n    poll_interval: 2m\n")
        #expect(configuration.watch == WatchSettings(mode: .poll, pollIntervalSeconds: 120))
    }

    @Test func mistakesAreNamed() {
        #expect(
            failure("  watch:\n    mode: fanotify\n")?.contains(
                "storage.watch.mode: expected inotify or poll, found 'fanotify'") == true)
        #expect(failure("  watch:\n    poll_interval: 1s\n")?.contains("expected at least 10s") == true)
        #expect(failure("  watch:\n    pol_interval: 1m\n")?.contains("did you mean 'poll_interval'") == true)
    }

    @Test func aLocalFilesystemIsNotShared() throws {
        #expect(try FileSystemType.of("/").sharedName == nil)
        #expect(
            try FileSystemType.of("/proc").magic == 0x9FA0, "procfs's magic: the struct is read at the right offset")
        #expect(throws: SystemCallError.self) { try FileSystemType.of("/no/such/path") }
    }

    @Test func networkAndFuseMagicsAreShared() {
        #expect(FileSystemType(magic: 0x6969).sharedName == "nfs")
        #expect(FileSystemType(magic: 0xFF53_4D42).sharedName == "cifs")
        #expect(FileSystemType(magic: 0x6573_5546).sharedName == "fuse")
        #expect(FileSystemType(magic: 0x00C3_6400).sharedName == "ceph")
        #expect(FileSystemType(magic: 0xEF53).sharedName == nil)
        #expect(FileSystemType(magic: 0xEF53).description == "local (0xef53)")
    }
}

extension WatchSettingsTests {
    @Test func inotifyIsRefusedOnlyOnASharedFilesystem() {
        let nfs = FileSystemType(magic: 0x6969)
        let ext4 = FileSystemType(magic: 0xEF53)
        let refusal = WatchSettings(mode: .inotify).inotifyRefusal(base: "/mnt/media", filesystem: nfs)
        #expect(refusal?.hasPrefix("/mnt/media is on nfs: inotify cannot see changes made by other machines") == true)
        #expect(refusal?.contains("storage.watch.mode: poll") == true)
        #expect(WatchSettings(mode: .poll).inotifyRefusal(base: "/mnt/media", filesystem: nfs) == nil)
        #expect(WatchSettings(mode: .inotify).inotifyRefusal(base: "/srv", filesystem: ext4) == nil)
    }
}

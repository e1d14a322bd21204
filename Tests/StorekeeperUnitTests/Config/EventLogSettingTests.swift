import Foundation
import Testing

@testable import StorekeeperConfig

/// `monitoring.event_log_max_bytes`: sizes as the config writes them
/// elsewhere, -1 for no bound, and clear refusals.
@Suite struct EventLogSettingTests {
    private func load(_ monitoring: String) throws(ConfigError) -> Configuration {
        try ConfigurationLoader.load(
            text: "storage:\n  base_path: /srv/storage\n  monitoring:\n" + monitoring, file: "c.yaml",
            environment: [:], currentDirectory: "/work/dir"
        ).0
    }

    private func failure(_ monitoring: String) -> String? {
        do {
            _ = try load(monitoring)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theDefaultBoundsTheLogAt256MiB() throws {
        #expect(try load("    log_level: INFO\n").monitoring.eventLogMaxBytes == 256 * 1_048_576)
    }

    @Test(arguments: [
        ("512MiB", Int64(512 * 1_048_576)), ("2GB", 2_000_000_000), ("64KiB", 65_536), ("1048576", 1_048_576),
    ])
    func sizesAreParsedAsElsewhereInTheConfig(text: String, bytes: Int64) throws {
        #expect(try load("    event_log_max_bytes: \(text)\n").monitoring.eventLogMaxBytes == bytes)
    }

    @Test func minusOneMeansNoSizeBound() throws {
        #expect(try load("    event_log_max_bytes: -1\n").monitoring.eventLogMaxBytes == nil)
    }

    @Test func aBoundTooSmallToSayAnythingIsRefused() {
        let message = failure("    event_log_max_bytes: 4KiB\n")
        #expect(
            message
                == "c.yaml:4: storage.monitoring.event_log_max_bytes: expected a size of at least 64 KiB (e.g. 256MiB), "
                + "or -1 for no size bound, found 4KiB",
            "\(message ?? "accepted")")
    }

    @Test func aSizeThatIsNotOneIsRefused() {
        let message = failure("    event_log_max_bytes: lots\n") ?? "accepted"
        #expect(message.hasPrefix("c.yaml:4: storage.monitoring.event_log_max_bytes: expected a size"), "\(message)")
        #expect(message.contains("found 'lots'"), "\(message)")
    }

    @Test func aMisspeltKeyGetsASuggestion() {
        #expect(
            failure("    event_log_max_byte: 1GiB\n")
                == "c.yaml:4: storage.monitoring.event_log_max_byte: unknown key; did you mean 'event_log_max_bytes'?")
        #expect(
            failure("    events_log_max_bytes: 1GiB\n")
                == "c.yaml:4: storage.monitoring.events_log_max_bytes: unknown key; did you mean 'event_log_max_bytes'?"
        )
    }
}

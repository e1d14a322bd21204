import StorekeeperConfig
import Testing

@Suite struct ConfigValueParserTests {
    @Test(
        arguments: [
            ("0", 0), ("86400", 86_400), ("-1", -1), ("90s", 90), ("15m", 900),
            ("24h", 86_400), ("7d", 604_800), ("2w", 1_209_600),
        ] as [(String, Int64)])
    func seconds(text: String, expected: Int64) throws {
        #expect(try ConfigValueParser.seconds(text) == expected)
    }

    @Test(arguments: ["", "d", "7 d", "7D", "1.5h", "1h30m", "7days", "+5", "0x10", "-1d"])
    func secondsRejects(text: String) {
        #expect(throws: ConfigValueParser.InvalidValue.self) { try ConfigValueParser.seconds(text) }
    }

    @Test func secondsNamesTheProblem() {
        #expect(throws: ConfigValueParser.InvalidValue(message: "negative duration '-5': only -1 (forever) is allowed"))
        {
            try ConfigValueParser.seconds("-5")
        }
        #expect(throws: ConfigValueParser.InvalidValue(message: "duration '99999999999999999w' is too large")) {
            try ConfigValueParser.seconds("99999999999999999w")
        }
    }

    @Test(
        arguments: [
            ("0", 0), ("5368709120", 5_368_709_120), ("-1", -1), ("12B", 12), ("100KB", 100_000),
            ("512MiB", 536_870_912), ("10GiB", 10_737_418_240), ("1TB", 1_000_000_000_000),
            ("1.5GiB", 1_610_612_736), ("2TiB", 2_199_023_255_552), ("1.25KB", 1_250), ("0.5MB", 500_000),
        ] as [(String, Int64)])
    func bytes(text: String, expected: Int64) throws {
        #expect(try ConfigValueParser.bytes(text) == expected)
    }

    @Test(arguments: ["", "GiB", "10gib", "10Gb", "10 GiB", "1.5", "1.GiB", ".5GiB", "1.2.3GiB", "10PB", "-2GiB"])
    func bytesRejects(text: String) {
        #expect(throws: ConfigValueParser.InvalidValue.self) { try ConfigValueParser.bytes(text) }
    }

    @Test func bytesNamesTheProblem() {
        #expect(throws: ConfigValueParser.InvalidValue(message: "size '1.0001KB' is not a whole number of bytes")) {
            try ConfigValueParser.bytes("1.0001KB")
        }
        #expect(throws: ConfigValueParser.InvalidValue(message: "size '9000000TiB' is too large")) {
            try ConfigValueParser.bytes("9000000TiB")
        }
        #expect(throws: ConfigValueParser.InvalidValue(message: "negative size '-5': only -1 (no quota) is allowed")) {
            try ConfigValueParser.bytes("-5")
        }
    }

    @Test func boolAndInteger() throws {
        for text in ["true", "TRUE", "1", "yes", "Yes"] { #expect(try ConfigValueParser.bool(text)) }
        for text in ["false", "False", "0", "no", "NO"] { #expect(try !ConfigValueParser.bool(text)) }
        #expect(throws: ConfigValueParser.InvalidValue.self) { try ConfigValueParser.bool("on") }
        #expect(try ConfigValueParser.integer("-42") == -42)
        #expect(throws: ConfigValueParser.InvalidValue.self) { try ConfigValueParser.integer("4x") }
        #expect(throws: ConfigValueParser.InvalidValue.self) { try ConfigValueParser.integer("99999999999999999999") }
    }
}

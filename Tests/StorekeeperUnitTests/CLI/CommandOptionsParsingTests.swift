import Testing

@testable import StorekeeperCLI

/// Each subcommand's options, read into its typed `Options`.
@Suite struct CommandOptionsParsingTests {
    typealias Line = CommandLineTesting

    @Test func cleanDefaults() throws {
        let options = try Line.options(CleanCommand.Options.self, ["clean"])
        #expect(!options.dryRun && !options.noScan && !options.list && !options.json)
        #expect(options.category == nil)
        #expect(options.wait == Double(CleanCommand.defaultWaitSeconds))
        #expect(options.limit == CleanCommand.defaultListLimit)
    }

    @Test func cleanFlagsAndValuesInBothForms() throws {
        let options = try Line.options(
            CleanCommand.Options.self,
            ["clean", "--dry-run", "--category", "temp", "--no-scan", "--wait=2.5", "--list", "--limit", "3", "--json"])
        #expect(options.dryRun && options.noScan && options.list && options.json)
        #expect(options.category == "temp")
        #expect(options.wait == 2.5)
        #expect(options.limit == 3)
        let inline = try Line.options(CleanCommand.Options.self, ["clean", "--category=contact_sheets", "--limit=0"])
        #expect(inline.category == "contact_sheets" && inline.limit == 0)
        // `=` splits once: the rest is the value, `=` and all.
        #expect(try Line.options(CleanCommand.Options.self, ["clean", "--category=a=b"]).category == "a=b")
    }

    @Test func aFlagTwiceIsAFlagAValueTwiceIsAMistake() throws {
        #expect(try Line.options(CleanCommand.Options.self, ["clean", "--json", "--json"]).json)
        #expect(
            Line.mistake(["clean", "--limit", "1", "--limit=2"])
                == UsageError("'--limit' given twice", command: "clean"))
    }

    @Test func cleanValuesThatDoNotFit() {
        #expect(
            Line.mistake(["clean", "--limit", "many"])
                == UsageError("'--limit' takes a number of files, got 'many'", command: "clean"))
        #expect(
            Line.mistake(["clean", "--limit=-1"])
                == UsageError("'--limit' takes a number of files, got '-1'", command: "clean"))
        #expect(
            Line.mistake(["clean", "--wait", "-1"]) == UsageError("'--wait' takes seconds, got '-1'", command: "clean"))
        #expect(
            Line.mistake(["clean", "--category"])
                == UsageError("missing value for '--category <key>'", command: "clean"))
        #expect(Line.mistake(["clean", "--json=1"]) == UsageError("'--json' takes no value", command: "clean"))
    }

    @Test func anUnknownOptionGetsTheClosestKnownOne() {
        #expect(
            Line.mistake(["clean", "--dry-rn"])
                == UsageError("unknown option '--dry-rn'; did you mean '--dry-run'?", command: "clean"))
        #expect(
            Line.mistake(["stats", "--jsn"])
                == UsageError("unknown option '--jsn'; did you mean '--json'?", command: "stats"))
        #expect(
            Line.mistake(["check", "--confg=a"])
                == UsageError("unknown option '--confg=a'; did you mean '--config'?", command: "check"))
        #expect(Line.mistake(["scan", "--bogus"]) == UsageError("unknown option '--bogus'", command: "scan"))
        // Another command's option is not this one's.
        #expect(Line.mistake(["scan", "--dry-run"]) == UsageError("unknown option '--dry-run'", command: "scan"))
    }

    @Test func statsPrintsOneFormat() throws {
        #expect(try Line.options(StatsCommand.Options.self, ["stats", "--json"]).json)
        #expect(try Line.options(StatsCommand.Options.self, ["stats", "--prometheus"]).prometheus)
        #expect(
            Line.mistake(["stats", "--json", "--prometheus"])
                == UsageError("'--json' and '--prometheus' cannot be combined", command: "stats"))
        #expect(
            Line.mistake(["stats", "--prometheus", "--json"])
                == UsageError("'--json' and '--prometheus' cannot be combined", command: "stats"))
    }

    @Test func checkScanVerifyJobs() throws {
        let check = try Line.options(CheckCommand.Options.self, ["check", "--verbose", "--json"])
        #expect(check.verbose && check.json)
        #expect(!(try Line.options(CheckCommand.Options.self, ["check"]).verbose))
        for name in ["scan", "verify", "jobs"] {
            #expect(try Line.options(OutputOptions.self, [name, "--json"]).json, "\(name)")
            #expect(!(try Line.options(OutputOptions.self, [name]).json), "\(name)")
        }
        for name in ["init", "run"] {
            _ = try Line.options(NoOptions.self, [name])
            #expect(Line.mistake([name, "--json"]) == UsageError("unknown option '--json'", command: name))
        }
    }

    @Test func completionTakesOneFormat() throws {
        for format in CompletionCommand.Options.Format.allCases {
            #expect(try Line.options(CompletionCommand.Options.self, ["completion", format.rawValue]).format == format)
        }
        #expect(Line.mistake(["completion"]) == UsageError("missing argument <format>", command: "completion"))
        #expect(
            Line.mistake(["completion", "zhs"])
                == UsageError(
                    "unknown format 'zhs' (expected bash, zsh, fish or man); did you mean 'zsh'?", command: "completion"
                ))
        #expect(
            Line.mistake(["completion", "bash", "zsh"])
                == UsageError("unexpected argument 'zsh'", command: "completion"))
    }
}

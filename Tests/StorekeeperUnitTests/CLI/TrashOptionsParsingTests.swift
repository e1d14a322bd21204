import Testing

@testable import StorekeeperCLI

/// `trash list|restore|empty`: which options and arguments go with which action.
@Suite struct TrashOptionsParsingTests {
    typealias Line = CommandLineTesting
    typealias Options = TrashCommand.Options

    @Test func actionsAndTheirArguments() throws {
        #expect(try Line.options(Options.self, ["trash", "list", "--json"]).action == .list)
        let restore = try Line.options(Options.self, ["trash", "restore", "uploads/a.jpg"])
        #expect(restore.action == .restore && restore.path == "uploads/a.jpg")
        let all = try Line.options(Options.self, ["trash", "empty", "--all"])
        #expect(all.action == .empty && all.all && all.olderThan == nil)
    }

    @Test func anAgeTakesAUnit() throws {
        #expect(try Line.options(Options.self, ["trash", "empty", "--older-than", "7d"]).olderThan == 7 * 86_400)
        #expect(try Line.options(Options.self, ["trash", "empty", "--older-than=90s"]).olderThan == 90)
        #expect(
            Line.mistake(["trash", "empty", "--older-than", "2"])
                == UsageError("'--older-than' needs a unit (30m, 12h, 7d, 2w), found '2'", command: "trash"))
        #expect(
            Line.mistake(["trash", "empty", "--older-than", "-1"])
                == UsageError("'--older-than' needs a unit (30m, 12h, 7d, 2w), found '-1'", command: "trash"))
        let soon = Line.mistake(["trash", "empty", "--older-than", "soon"])
        #expect(soon?.message.hasPrefix("'--older-than': ") == true, "\(String(describing: soon))")
        #expect(
            Line.mistake(["trash", "empty", "--older-than"])
                == UsageError("missing value for '--older-than <duration>'", command: "trash"))
    }

    @Test func optionsOfEmptyOnlyWithEmpty() {
        #expect(
            Line.mistake(["trash", "list", "--older-than", "1d"])
                == UsageError("'--older-than' only applies to 'empty'", command: "trash"))
        #expect(
            Line.mistake(["trash", "restore", "a", "--all"])
                == UsageError("'--all' only applies to 'empty'", command: "trash"))
        #expect(
            Line.mistake(["trash", "empty", "--all", "--older-than", "1d"])
                == UsageError("'--all' and '--older-than' cannot be combined", command: "trash"))
        #expect(
            Line.mistake(["trash", "empty"])
                == UsageError(
                    "'empty' deletes for good: say which items, with --older-than <duration> or --all", command: "trash"
                ))
    }

    @Test func argumentMistakes() {
        #expect(Line.mistake(["trash"]) == UsageError("missing argument <action>", command: "trash"))
        #expect(
            Line.mistake(["trash", "lst"])
                == UsageError(
                    "unknown action 'lst' (expected list, restore or empty); did you mean 'list'?", command: "trash"))
        #expect(
            Line.mistake(["trash", "restore"]) == UsageError("missing argument <path> for 'restore'", command: "trash"))
        #expect(Line.mistake(["trash", "list", "x"]) == UsageError("unexpected argument 'x'", command: "trash"))
        #expect(
            Line.mistake(["trash", "restore", "a", "b"]) == UsageError("unexpected argument 'b'", command: "trash"))
    }
}

import Foundation
import Glibc
import TestSupport
import Testing

/// `storekeeper completion bash|zsh|fish|man` against `--help`: every command
/// and option help lists is completed by each shell and described in the man
/// page, each script parses in its shell, the page renders without warnings,
/// and scripts/install.sh installs and uninstalls all four.
@Suite struct CompletionTests {
    /// Each subcommand `storekeeper --help` lists, with the options its own `--help` lists.
    static func commandsFromHelp() throws -> [(name: String, options: [String])] {
        let top = try StorekeeperBinary.run(["--help"], in: "/")
        #expect(top.status == 0, "\(top.stderr)")
        let names = section("SUBCOMMANDS:", of: top.stdout).compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        return try names.map { name in
            let help = try StorekeeperBinary.run([name, "--help"], in: "/")
            #expect(help.status == 0, "\(help.stderr)")
            // "-h, --help  Show…", "--older-than <duration> empty: …": the names, then value names, then the help.
            let options = section("OPTIONS:", of: help.stdout).flatMap { line in
                line.split(separator: " ").prefix { $0.hasPrefix("-") || $0.hasPrefix("<") }
                    .filter { $0.hasPrefix("-") }.map { String($0.hasSuffix(",") ? $0.dropLast() : $0) }
            }
            return (name, options)
        }
    }

    /// The indented lines under `header`, up to the next blank line.
    static func section(_ header: String, of text: String) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: header) else { return [] }
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix("  ") && !$0.hasPrefix("  See ") })
    }

    static func generate(_ format: String) throws -> String {
        let result = try StorekeeperBinary.run(["completion", format], in: "/")
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// The lines from `start` to the first that ends with `;;`: one `case` arm.
    static func arm(_ start: String, in script: String) -> String? {
        let lines = script.components(separatedBy: "\n")
        guard let first = lines.firstIndex(where: { $0.hasPrefix(start) }) else { return nil }
        guard let last = lines[first...].firstIndex(where: { $0.hasSuffix(";;") }) else { return nil }
        return lines[first...last].joined(separator: "\n")
    }

    static func installed(_ program: String) -> Bool { Shell.which(program) != nil }

    static func write(_ text: String, to name: String, in tree: TemporaryTree) throws -> String {
        let path = tree.root + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theHelpListsTheCompletionCommand() throws {
        let commands = try Self.commandsFromHelp()
        #expect(commands.count >= 10, "\(commands)")
        #expect(commands.contains { $0.name == "completion" })
        #expect(commands.allSatisfy { $0.options.contains("--config") && $0.options.contains("--help") }, "\(commands)")
    }

    @Test func bashCompletesEveryCommandAndOptionAndParses() throws {
        let script = try Self.generate("bash")
        for command in try Self.commandsFromHelp() {
            let arm = Self.arm("        \(command.name))", in: script)
            #expect(arm != nil, "no case for \(command.name)")
            for option in command.options where option != "-h" {
                #expect(arm?.contains(option) == true, "\(command.name) \(option) missing from bash")
            }
        }
        #expect(Self.arm("        help)", in: script) != nil)
        for action in ["list", "restore", "empty"] {
            #expect(Self.arm("        trash)", in: script)?.contains(action) == true)
        }

        let tree = try TemporaryTree()
        let path = try Self.write(script, to: "storekeeper.bash", in: tree)
        let parsed = try Shell.run(["bash", "-n", path], in: tree.root)
        #expect(parsed.status == 0 && parsed.stderr.isEmpty, "\(parsed.stderr)")
    }

    @Test func bashOffersWhatTheCommandLineCanTakeNext() throws {
        let tree = try TemporaryTree()
        let path = try Self.write(try Self.generate("bash"), to: "storekeeper.bash", in: tree)
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
            """)
        // COMP_WORDS as bash fills them; the last word is the one being completed.
        let driver = """
            source "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
            _storekeeper
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        func complete(_ words: [String]) throws -> [String] {
            let result = try Shell.run(["bash", "-c", driver, "driver", path] + words, in: tree.root)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete([StorekeeperBinary.path, "tr"]) == ["trash"])
        #expect(try complete([StorekeeperBinary.path, "trash", ""]) == ["list", "restore", "empty"])
        #expect(try complete([StorekeeperBinary.path, "completion", ""]) == ["bash", "zsh", "fish", "man"])
        #expect(try complete([StorekeeperBinary.path, "clean", "--ca"]) == ["--category"])
        // Category keys come from the configuration named on the line.
        let categories = try complete([StorekeeperBinary.path, "--config", tree.configPath, "clean", "--category", ""])
        #expect(categories.contains("temp") && categories.contains("contact_sheets"), "\(categories)")
    }

    @Test func zshCompletesEveryCommandAndOption() throws {
        let script = try Self.generate("zsh")
        #expect(script.hasPrefix("#compdef storekeeper\n"))
        for command in try Self.commandsFromHelp() {
            #expect(script.contains("\n        '\(command.name):"), "\(command.name) missing from zsh's command list")
            let arm = Self.arm("                \(command.name))", in: script)
            #expect(arm != nil, "no case for \(command.name)")
            for option in command.options {
                let spec = option == "--help" || option == "-h" ? "{-h,--help}" : "'\(option)["
                #expect(arm?.contains(spec) == true, "\(command.name) \(option) missing from zsh")
            }
        }
        #expect(Self.arm("                trash)", in: script)?.contains("(list restore empty)") == true)
    }

    @Test(.enabled(if: installed("zsh"), "zsh is not installed: the syntax check needs it"))
    func zshParsesTheScript() throws {
        let tree = try TemporaryTree()
        let path = try Self.write(try Self.generate("zsh"), to: "_storekeeper", in: tree)
        let parsed = try Shell.run(["zsh", "-n", path], in: tree.root)
        #expect(parsed.status == 0 && parsed.stderr.isEmpty, "\(parsed.stderr)")
    }

    @Test func fishCompletesEveryCommandAndOption() throws {
        let script = try Self.generate("fish")
        let lines = script.components(separatedBy: "\n")
        for command in try Self.commandsFromHelp() {
            #expect(lines.contains { $0.contains("-a \(command.name) -d ") }, "\(command.name) missing from fish")
            for option in command.options {
                let found: Bool
                switch option {
                case "--config": found = lines.contains { $0.hasPrefix("complete -c storekeeper -l config -r -F ") }
                case "--help", "-h": found = lines.contains { $0.hasPrefix("complete -c storekeeper -s h -l help ") }
                default:
                    found = lines.contains {
                        $0.contains("'__fish_seen_subcommand_from \(command.name)' -l \(option.dropFirst(2)) ")
                    }
                }
                #expect(found, "\(command.name) \(option) missing from fish")
            }
        }
        #expect(lines.contains { $0.contains("from trash; and not ") && $0.hasSuffix("-a 'list restore empty'") })
    }

    @Test(.enabled(if: installed("fish"), "fish is not installed: the syntax check needs it"))
    func fishParsesTheScript() throws {
        let tree = try TemporaryTree()
        let path = try Self.write(try Self.generate("fish"), to: "storekeeper.fish", in: tree)
        let parsed = try Shell.run(["fish", "--no-execute", path], in: tree.root)
        #expect(parsed.status == 0 && parsed.stderr.isEmpty, "\(parsed.stderr)")
    }

    @Test func theManPageDescribesEveryCommandAndOption() throws {
        let page = try Self.generate("man")
        #expect(page.hasPrefix(".TH STOREKEEPER 1 "))
        for header in [
            "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS", "FILES", "ENVIRONMENT", "SEE ALSO",
        ] {
            #expect(page.contains("\n.SH \(header)\n"), "no \(header) section")
        }
        for code in ["0", "1", "64", "78"] { #expect(page.contains("\n.TP\n\(code)\n"), "exit status \(code) missing") }
        // Options as roff writes them: every hyphen escaped.
        let source = page.replacingOccurrences(of: "\\-", with: "-")
        for command in try Self.commandsFromHelp() {
            #expect(page.contains("\n.SS \"\(command.name)\"\n"), "\(command.name) missing from the man page")
            for option in command.options {
                #expect(source.contains("\\fB\(option)\\fR"), "\(command.name) \(option) missing from the man page")
            }
        }
    }

    @Test(.enabled(if: installed("groff"), "groff is not installed (Debian's groff-base; scripts/test installs it)"))
    func theManPageRendersWithoutWarnings() throws {
        let tree = try TemporaryTree()
        let path = try Self.write(try Self.generate("man"), to: "storekeeper.1", in: tree)
        let checked = try Shell.run(["groff", "-man", "-Tutf8", "-ww", "-z", path], in: tree.root)
        #expect(checked.status == 0 && checked.stderr.isEmpty, "\(checked.stderr)")
        let rendered = try Shell.run(["groff", "-man", "-Tutf8", "-P", "-cbou", path], in: tree.root)
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let text = rendered.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for command in try Self.commandsFromHelp() {
            #expect(text.contains("storekeeper \(command.name) [options]"), "\(command.name) not rendered")
            for option in command.options { #expect(text.contains(option), "\(option) not rendered") }
        }
        if Self.installed("man") {
            let man = try Shell.run(["man", "--warnings", "-l", path], in: tree.root, environment: ["MANPAGER": "cat"])
            #expect(man.status == 0 && man.stderr.isEmpty, "\(man.stderr)")
        }
    }

    @Test func anUnknownFormatIsAUsageError() throws {
        let result = try StorekeeperBinary.run(["completion", "tcsh"], in: "/")
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown format 'tcsh' (expected bash, zsh, fish or man)"), "\(result.stderr)")
    }

    // MARK: The installer

    static let generated = [
        ("bash", "usr/share/bash-completion/completions/storekeeper"),
        ("zsh", "usr/share/zsh/vendor-completions/_storekeeper"),
        ("fish", "usr/share/fish/vendor_completions.d/storekeeper.fish"),
        ("man", "usr/local/share/man/man1/storekeeper.1"),
    ]

    static func install(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(
            ["bash", OperationsTests.repository + "/scripts/install.sh", "--binary", StorekeeperBinary.path]
                + arguments,
            in: OperationsTests.repository)
    }

    @Test func installPutsTheCompletionsAndTheManPageInPlaceAndTakesThemBack() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        let dry = try Self.install(["--dry-run", "--destdir", stage])
        #expect(dry.status == 0, "\(dry.stderr)")
        for (_, path) in Self.generated {
            #expect(dry.stdout.contains("would install: \(stage)/\(path) (mode 0644)"), "\(dry.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: stage))

        let first = try Self.install(["--destdir", stage])
        #expect(first.status == 0, "\(first.stderr)")
        for (format, path) in Self.generated {
            #expect(OperationsTests.contents(stage + "/" + path) == (try Self.generate(format)), "\(path)")
        }
        let second = try Self.install(["--destdir", stage])
        #expect(second.status == 0, "\(second.stderr)")
        for (_, path) in Self.generated { #expect(second.stdout.contains("up to date: \(stage)/\(path)\n")) }

        let removed = try Self.install(["--destdir", stage, "--uninstall"])
        #expect(removed.status == 0, "\(removed.stderr)")
        for (_, path) in Self.generated {
            #expect(!FileManager.default.fileExists(atPath: stage + "/" + path), "left \(path)")
        }
    }

    @Test func anotherPrefixMovesTheManPageAndWhatItPointsAt() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        #expect(try Self.install(["--destdir", stage, "--prefix", "/opt/storekeeper"]).status == 0)
        let page = OperationsTests.contents(stage + "/opt/storekeeper/share/man/man1/storekeeper.1")
        #expect(page.contains("/opt/storekeeper/share/doc/storekeeper/operations.md"))
        #expect(!page.contains("/usr/local/"))
        #expect(FileManager.default.fileExists(atPath: stage + "/usr/share/bash-completion/completions/storekeeper"))
    }
}

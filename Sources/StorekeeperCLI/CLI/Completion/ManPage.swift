import StorekeeperConfig
import StorekeeperSystem

/// `storekeeper completion man`: the storekeeper(1) page in roff.
enum ManPage {
    static func page(_ commands: [CommandSpec]) -> String {
        (header + commands.flatMap(section(for:)) + globalOptions + trailer).joined(separator: "\n")
    }

    static var header: [String] {
        [
            ".TH STOREKEEPER 1 \"\" \"storekeeper \(StorekeeperVersion.current)\" \"User Commands\"",
            // Unhyphenated and ragged right, so option names and paths stay whole.
            ".nh",
            ".ad l",
            ".SH NAME",
            "storekeeper \\- keep a media storage tree indexed, measured and clean",
            ".SH SYNOPSIS",
            ".B storekeeper",
            ".I subcommand",
            "[\(option(GlobalOptions.config.spec))] [\\fIoptions\\fR] [\\fIarguments\\fR]",
            ".br",
            ".B storekeeper help",
            ".I subcommand",
            ".br",
            ".B storekeeper \(roff(GlobalOptions.version.spec.name))",
            ".SH DESCRIPTION",
            roff(
                "Storekeeper watches a storage tree with inotify, keeps a SQLite index of every file in it, "
                    + "and removes expired files by category: retention, quotas and a trash that can be restored from. "
                    + "'storekeeper run' is the daemon; the other subcommands inspect, verify and clean the same tree "
                    + "and can run beside it."),
            ".SH COMMANDS",
        ]
    }

    static func section(for command: CommandSpec) -> [String] {
        let arguments = command.arguments.map { argument in
            argument.required ? " \\fI\(roff(argument.name))\\fR" : " [\\fI\(roff(argument.name))\\fR]"
        }.joined()
        var lines = [
            ".SS \"\(command.name)\"",
            "\\fBstorekeeper \(command.name)\\fR [\\fIoptions\\fR]\(arguments)",
            ".PP",
            roff(command.abstract),
        ]
        if let discussion = command.discussion { lines += [".PP", roff(discussion)] }
        for argument in command.arguments {
            lines += [".TP", "\\fI\(roff(argument.name))\\fR", roff(argument.help)]
        }
        for option in command.options {
            lines += [".TP", self.option(option), roff(option.help)]
        }
        return lines
    }

    static var globalOptions: [String] {
        var lines = [".SH OPTIONS", "Every subcommand takes these as well."]
        for global in GlobalOptions.options.map(\.spec) {
            let help =
                global.onlyBeforeCommand
                ? CompletionCommand.summary(global.help) + " (before a subcommand)." : global.help
            lines += [".TP", option(global), roff(help)]
        }
        return lines
    }

    /// Exit status, files, environment, see also: what no declaration holds.
    static let trailer = [
        ".SH EXIT STATUS",
        ".TP", "\(ExitCode.success.rawValue)", "Success.",
        ".TP", "\(ExitCode.failure.rawValue)", "Failure: the error names the path and the operation.",
        ".TP", "\(ExitCode.usage.rawValue)", "A mistake in the command line (sysexits EX_USAGE).",
        ".TP", "\(ExitCode.config.rawValue)", "An invalid configuration (sysexits EX_CONFIG).",
        ".SH FILES",
        ".TP", "\\fI/etc/storekeeper/storekeeper.yaml\\fR", "The configuration, when no other is named.",
        ".TP", "\\fI./config/storekeeper.yaml\\fR", "The configuration, when it exists in the current folder.",
        ".TP", "\\fIbase\\fR\\fB/.storekeeper/index.db\\fR",
        roff("The SQLite index, unless storage.index_path names another file."),
        ".TP", "\\fIbase\\fR\\fB/.trash/\\fR",
        roff("The trash, in the freedesktop.org layout (trash-cli reads it too)."),
        ".TP", "\\fI/etc/systemd/system/storekeeper.service\\fR", "The daemon's unit.",
        ".TP", "\\fI/etc/systemd/system/storekeeper\\-clean.timer\\fR", "The optional daily cleanup.",
        ".SH ENVIRONMENT",
        ".TP", "\\fBSTOREKEEPER_CONFIG\\fR",
        "The configuration file, unless \(option(GlobalOptions.config.spec, withValue: false)) names one.",
        ".TP",
        "\\fBSTORAGE_BASE_PATH\\fR, \\fBSTORAGE_RETENTION_\\fR\\fIKEY\\fR, "
            + "\\fBSTORAGE_QUOTA_\\fR\\fIKEY\\fR, \\fBSTORAGE_CLEANUP_*\\fR",
        roff(
            "Override the configuration's values, in every command; KEY is a category key in capitals "
                + "(STORAGE_RETENTION_CONTACT_SHEETS=14d)."),
        ".TP", "\\fBSTOREKEEPER_LOG_STYLE\\fR, \\fBSTOREKEEPER_METRICS_LISTEN\\fR",
        "How the daemon logs, and where it serves its metrics.",
        ".SH SEE ALSO",
        ".BR systemctl (1),",
        ".BR journalctl (1),",
        ".BR trash\\-list (1),",
        ".BR logrotate (8)",
        ".PP",
        "The operations guide: \\fI/usr/local/share/doc/storekeeper/operations.md\\fR.",
    ]

    /// Text as roff: escapes backslashes and hyphens, and keeps a leading dot
    /// or quote from being read as a request.
    static func roff(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\e"
            case "-": result += "\\-"
            default: result.append(character)
            }
        }
        if result.hasPrefix(".") || result.hasPrefix("'") { result = "\\&" + result }
        return result
    }

    /// `\fB\-h\fR, \fB\-\-help\fR`, `\fB\-\-wait\fR \fIseconds\fR`
    static func option(_ option: OptionSpec, withValue: Bool = true) -> String {
        let names = (option.shortName.map { roff($0) + "\\fR, \\fB" } ?? "") + roff(option.name)
        let value = withValue ? option.valueName.map { " \\fI\(roff($0))\\fR" } ?? "" : ""
        return "\\fB\(names)\\fR" + value
    }
}

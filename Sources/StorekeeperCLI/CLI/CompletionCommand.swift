import StorekeeperConfig
import StorekeeperSystem

/// `storekeeper completion bash|zsh|fish|man`: shell completion scripts and the
/// man page, written from the same `CommandSpec`s as `--help` so the three
/// cannot drift apart.
enum CompletionCommand {
    static let formats = ["bash", "zsh", "fish", "man"]

    static let spec = CommandSpec(
        name: "completion",
        abstract: "Print a shell completion script (bash, zsh, fish) or the man page (man).",
        discussion: """
            bash: source it, or save it as /usr/share/bash-completion/completions/storekeeper. \
            zsh: save it as _storekeeper in a folder of $fpath. fish: save it as \
            ~/.config/fish/completions/storekeeper.fish. man: the storekeeper(1) page in roff; \
            read it with 'storekeeper completion man | man -l -'. scripts/install.sh installs all four.
            """,
        arguments: [("format", "bash, zsh, fish or man")],
        run: run)

    /// Positional words a command takes from a fixed list, offered after the command.
    static let argumentChoices: [String: [String]] = [
        "trash": ["list", "restore", "empty"],
        "completion": formats,
    ]

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let commands = CommandLineInterface.commands
        switch invocation.arguments[0] {
        case "bash": Console.out(bash(commands))
        case "zsh": Console.out(zsh(commands))
        case "fish": Console.out(fish(commands))
        case "man": Console.out(manPage(commands))
        case let other:
            throw UsageError(
                message: "unknown format '\(other)' (expected bash, zsh, fish or man)"
                    + Suggestion.phrase(for: other, among: formats),
                command: "completion")
        }
        return .success
    }

    /// Every option `<command> --help` lists, `--config` and `--help` included.
    static func options(of command: CommandSpec) -> [CommandSpec.Option] {
        [CommandSpec.configOption] + command.options
            + [CommandSpec.Option(name: "--help", valueName: nil, help: "Show help information.")]
    }

    /// The first sentence of a help text, for the one-line descriptions shells show.
    static func summary(_ text: String) -> String {
        let characters = Array(text)
        var end = characters.count
        for index in characters.indices.dropLast(2)
        where characters[index] == "." && characters[index + 1] == " " && characters[index + 2].isUppercase {
            end = index
            break
        }
        if end == characters.count && characters.last == "." { end -= 1 }
        return String(characters[..<end])
    }

    /// Shell words that scan the command line for `--config <file>`, so the
    /// categories offered are those of the configuration the command will use.
    static let categoryLister = "check 2>/dev/null | awk '/ retention / { print $1 }'"

    // MARK: bash

    static func bash(_ commands: [CommandSpec]) -> String {
        let names = commands.map(\.name)
        let valued = Set(commands.flatMap { options(of: $0) }.filter { $0.valueName != nil }.map(\.name)).sorted()
        var lines = [
            "# bash completion for storekeeper, written by 'storekeeper completion bash'.",
            "_storekeeper_categories() {",
            "    local config=() i",
            "    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do",
            "        [[ ${COMP_WORDS[i]} == --config ]] && config=(--config \"${COMP_WORDS[i + 1]}\")",
            "    done",
            "    \"${COMP_WORDS[0]}\" \"${config[@]}\" \(categoryLister)",
            "}",
            "",
            "_storekeeper() {",
            "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD - 1]}\"",
            "    local command= positional=0 i word",
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            "        word=\"${COMP_WORDS[i]}\"",
            "        case \"$word\" in",
            "            \(valued.joined(separator: "|"))) ((i++)) ;;",
            "            -*) ;;",
            "            *) if [[ -z $command ]]; then command=\"$word\"; else ((positional++)); fi ;;",
            "        esac",
            "    done",
            "    case \"$prev\" in",
            "        --config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;",
            "        --category) COMPREPLY=($(compgen -W \"$(_storekeeper_categories)\" -- \"$cur\")); return ;;",
        ]
        let freeValues = valued.filter { $0 != "--config" && $0 != "--category" }
        if !freeValues.isEmpty {
            lines.append("        \(freeValues.joined(separator: "|"))) return ;;")
        }
        lines += [
            "    esac",
            "    case \"$command\" in",
            "        '') COMPREPLY=($(compgen -W '\((names + ["help", "--config", "--version", "--help"]).joined(separator: " "))' -- \"$cur\")) ;;",
            "        help) ((positional == 0)) && COMPREPLY=($(compgen -W '\(names.joined(separator: " "))' -- \"$cur\")) ;;",
        ]
        for command in commands {
            let words = options(of: command).map(\.name).joined(separator: " ")
            lines.append("        \(command.name))")
            if let choices = argumentChoices[command.name] {
                lines += [
                    "            if [[ $cur != -* ]] && ((positional == 0)); then",
                    "                COMPREPLY=($(compgen -W '\(choices.joined(separator: " "))' -- \"$cur\"))",
                    "            else",
                    "                COMPREPLY=($(compgen -W '\(words)' -- \"$cur\"))",
                    "            fi ;;",
                ]
            } else {
                lines.append("            COMPREPLY=($(compgen -W '\(words)' -- \"$cur\")) ;;")
            }
        }
        lines += [
            "    esac",
            "}",
            "complete -F _storekeeper storekeeper",
        ]
        return lines.joined(separator: "\n")
    }

    // MARK: zsh

    /// Text inside a single-quoted zsh word: an `_arguments` description in
    /// brackets, or a `_describe` one, which only splits at its first colon.
    static func zshDescription(_ text: String, inBrackets: Bool = true) -> String {
        var result = ""
        for character in summary(text) {
            switch character {
            case "'": result += "'\\''"
            case "[", "]", "\\": result += (inBrackets ? "\\" : "") + String(character)
            default: result.append(character)
            }
        }
        return result
    }

    static func zshOptionSpecs(_ command: CommandSpec) -> [String] {
        options(of: command).map { option in
            let description = zshDescription(option.help)
            if option.name == "--help" { return "'(-h --help)'{-h,--help}'[\(description)]'" }
            guard let valueName = option.valueName else { return "'\(option.name)[\(description)]'" }
            let action = switch option.name {
            case "--config": "_files"
            case "--category": "_storekeeper_categories"
            default: " "
            }
            return "'\(option.name)[\(description)]:\(valueName):\(action)'"
        }
    }

    static func zsh(_ commands: [CommandSpec]) -> String {
        var lines = [
            "#compdef storekeeper",
            "# zsh completion for storekeeper, written by 'storekeeper completion zsh'.",
            "",
            "_storekeeper_categories() {",
            "    local -a config categories",
            "    local i=${words[(I)--config]}",
            "    (( i > 0 )) && config=(--config \"${words[i + 1]}\")",
            "    categories=(${(f)\"$(${words[1]} $config \(categoryLister))\"})",
            "    compadd -a categories",
            "}",
            "",
            "_storekeeper() {",
            "    local curcontext=\"$curcontext\" state line",
            "    typeset -A opt_args",
            "    local -a commands=(",
        ]
        for command in commands {
            lines.append("        '\(command.name):\(zshDescription(command.abstract, inBrackets: false))'")
        }
        lines += [
            "    )",
            "    _arguments -C \\",
            "        '--config[\(zshDescription(CommandSpec.configOption.help))]:file:_files' \\",
            "        '--version[Show the version]' \\",
            "        '(-h --help)'{-h,--help}'[Show help information]' \\",
            "        '1: :->command' \\",
            "        '*:: :->arguments'",
            "    case $state in",
            "        command)",
            "            _describe -t commands 'storekeeper subcommand' commands",
            "            compadd help ;;",
            "        arguments)",
            "            case $line[1] in",
            "                help) _describe -t commands 'storekeeper subcommand' commands ;;",
        ]
        for command in commands {
            var specs = zshOptionSpecs(command)
            if let choices = argumentChoices[command.name] {
                specs.append("'1:\(command.arguments.first?.name ?? "argument"):(\(choices.joined(separator: " ")))'")
                for argument in command.arguments.dropFirst() { specs.append("'*:\(argument.name):_files'") }
            }
            lines.append("                \(command.name))")
            lines.append("                    _arguments \\")
            lines += specs.enumerated().map { index, spec in
                "                        " + spec + (index == specs.count - 1 ? " ;;" : " \\")
            }
        }
        lines += [
            "            esac ;;",
            "    esac",
            "}",
            "",
            "_storekeeper \"$@\"",
        ]
        return lines.joined(separator: "\n")
    }

    // MARK: fish

    /// A single-quoted fish string.
    static func fishQuoted(_ text: String) -> String {
        var result = "'"
        for character in summary(text) {
            if character == "'" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "'"
    }

    static func fish(_ commands: [CommandSpec]) -> String {
        let names = commands.map(\.name).joined(separator: " ")
        let atTop = "-n 'not __fish_seen_subcommand_from \(names) help'"
        var lines = [
            "# fish completion for storekeeper, written by 'storekeeper completion fish'.",
            "function __storekeeper_categories",
            "    set -l tokens (commandline -opc)",
            "    set -l config",
            "    set -l at (contains -i -- --config $tokens)",
            "    and test (count $tokens) -gt $at",
            "    and set config --config $tokens[(math $at + 1)]",
            "    $tokens[1] $config \(categoryLister)",
            "end",
            "",
            "complete -c storekeeper -f",
            "complete -c storekeeper \(atTop) -l version -d 'Show the version'",
            "complete -c storekeeper \(atTop) -a help -d 'Show help for a subcommand'",
            "complete -c storekeeper -n '__fish_seen_subcommand_from help' -a '\(names)'",
            "complete -c storekeeper -l config -r -F -d \(fishQuoted(CommandSpec.configOption.help))",
            "complete -c storekeeper -s h -l help -d 'Show help information'",
        ]
        for command in commands {
            lines.append("complete -c storekeeper \(atTop) -a \(command.name) -d \(fishQuoted(command.abstract))")
        }
        for command in commands {
            let seen = "-n '__fish_seen_subcommand_from \(command.name)'"
            for option in command.options {
                let name = String(option.name.dropFirst(2))
                let value = switch (option.name, option.valueName) {
                case ("--category", _): " -x -a '(__storekeeper_categories)'"
                case (_, .some): " -x"
                case (_, .none): ""
                }
                lines.append("complete -c storekeeper \(seen) -l \(name)\(value) -d \(fishQuoted(option.help))")
            }
            if let choices = argumentChoices[command.name] {
                let words = choices.joined(separator: " ")
                lines.append(
                    "complete -c storekeeper -n '__fish_seen_subcommand_from \(command.name); "
                        + "and not __fish_seen_subcommand_from \(words)' -a '\(words)'")
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: man

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

    static func roffOption(_ option: CommandSpec.Option) -> String {
        let name = option.name == "--help" ? "\\-h\\fR, \\fB\\-\\-help" : roff(option.name)
        return "\\fB\(name)\\fR" + (option.valueName.map { " \\fI\(roff($0))\\fR" } ?? "")
    }

    static func manPage(_ commands: [CommandSpec]) -> String {
        var lines = [
            ".TH STOREKEEPER 1 \"\" \"storekeeper \(StorekeeperVersion.current)\" \"User Commands\"",
            // Unhyphenated and ragged right, so option names and paths stay whole.
            ".nh",
            ".ad l",
            ".SH NAME",
            "storekeeper \\- keep a media storage tree indexed, measured and clean",
            ".SH SYNOPSIS",
            ".B storekeeper",
            ".I subcommand",
            "[\\fB\\-\\-config\\fR \\fIfile\\fR] [\\fIoptions\\fR] [\\fIarguments\\fR]",
            ".br",
            ".B storekeeper help",
            ".I subcommand",
            ".br",
            ".B storekeeper \\-\\-version",
            ".SH DESCRIPTION",
            roff(
                "Storekeeper watches a storage tree with inotify, keeps a SQLite index of every file in it, "
                    + "and removes expired files by category: retention, quotas and a trash that can be restored from. "
                    + "'storekeeper run' is the daemon; the other subcommands inspect, verify and clean the same tree "
                    + "and can run beside it."),
            ".SH COMMANDS",
        ]
        for command in commands {
            let arguments = command.arguments.enumerated().map { index, argument in
                index < command.requiredArguments ? " \\fI\(roff(argument.name))\\fR" : " [\\fI\(roff(argument.name))\\fR]"
            }.joined()
            lines += [
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
                lines += [".TP", roffOption(option), roff(option.help)]
            }
        }
        lines += [
            ".SH OPTIONS",
            "Every subcommand takes these as well.",
            ".TP", roffOption(CommandSpec.configOption), roff(CommandSpec.configOption.help),
            ".TP", "\\fB\\-\\-version\\fR", "Show the version (before a subcommand).",
            ".TP", roffOption(.init(name: "--help", valueName: nil, help: "")), "Show help information.",
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
            ".TP", "\\fBSTOREKEEPER_CONFIG\\fR", "The configuration file, unless \\fB\\-\\-config\\fR names one.",
            ".TP", "\\fBSTORAGE_BASE_PATH\\fR, \\fBSTORAGE_RETENTION_\\fR\\fIKEY\\fR, "
                + "\\fBSTORAGE_QUOTA_\\fR\\fIKEY\\fR, \\fBSTORAGE_CLEANUP_*\\fR",
            roff("Override the configuration's values, in every command; KEY is a category key in capitals "
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
        return lines.joined(separator: "\n")
    }
}

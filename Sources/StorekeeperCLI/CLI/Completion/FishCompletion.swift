/// `storekeeper completion fish`.
enum FishCompletion {
    static func script(_ commands: [CommandSpec]) -> String {
        let names = commands.map(\.name).joined(separator: " ")
        let atTop = "-n 'not __fish_seen_subcommand_from \(names) help'"
        let config = GlobalOptions.config.spec.name
        var lines = [
            "# fish completion for storekeeper, written by 'storekeeper completion fish'.",
            "function __storekeeper_categories",
            "    set -l tokens (commandline -opc)",
            "    set -l config",
            "    set -l at (contains -i -- \(config) $tokens)",
            "    and test (count $tokens) -gt $at",
            "    and set config \(config) $tokens[(math $at + 1)]",
            "    $tokens[1] $config \(CompletionCommand.categoryLister)",
            "end",
            "",
            "complete -c storekeeper -f",
        ]
        let globals = GlobalOptions.options.map(\.spec)
        lines += globals.filter(\.onlyBeforeCommand).map { line(for: $0, when: atTop) }
        lines += [
            "complete -c storekeeper \(atTop) -a help -d 'Show help for a subcommand'",
            "complete -c storekeeper -n '__fish_seen_subcommand_from help' -a '\(names)'",
        ]
        lines += globals.filter { !$0.onlyBeforeCommand }.map { line(for: $0, when: nil) }
        for command in commands {
            lines.append("complete -c storekeeper \(atTop) -a \(command.name) -d \(quoted(command.abstract))")
        }
        for command in commands {
            let seen = "-n '__fish_seen_subcommand_from \(command.name)'"
            lines += command.options.map { line(for: $0, when: seen) }
            if let choices = CompletionCommand.choices(of: command) {
                let words = choices.joined(separator: " ")
                lines.append(
                    "complete -c storekeeper -n '__fish_seen_subcommand_from \(command.name); "
                        + "and not __fish_seen_subcommand_from \(words)' -a '\(words)'")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `complete -c storekeeper -n '…' -l wait -x -d '…'`
    static func line(for option: OptionSpec, when condition: String?) -> String {
        let value =
            switch (option.completion, option.takesValue) {
            case (.categories, _): " -x -a '(__storekeeper_categories)'"
            case (.files, true): " -r -F"
            case (_, true): " -x"
            case (_, false): ""
            }
        return "complete -c storekeeper" + (condition.map { " " + $0 } ?? "")
            + (option.shortName.map { " -s \($0.dropFirst())" } ?? "")
            + " -l \(option.name.dropFirst(2))\(value) -d \(quoted(option.help))"
    }

    /// A single-quoted fish string.
    static func quoted(_ text: String) -> String {
        var result = "'"
        for character in CompletionCommand.summary(text) {
            if character == "'" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "'"
    }
}

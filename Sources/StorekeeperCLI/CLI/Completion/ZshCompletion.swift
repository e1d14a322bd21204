/// `storekeeper completion zsh`.
enum ZshCompletion {
    static func script(_ commands: [CommandSpec]) -> String {
        var lines = preamble
        for command in commands {
            lines.append("        '\(command.name):\(description(command.abstract, inBrackets: false))'")
        }
        lines += ["    )", "    _arguments -C \\"]
        lines += GlobalOptions.options.map { "        " + optionSpec($0.spec) + " \\" }
        lines += [
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
        for command in commands { lines += commandCase(command) }
        lines += [
            "            esac ;;",
            "    esac",
            "}",
            "",
            "_storekeeper \"$@\"",
        ]
        return lines.joined(separator: "\n")
    }

    static var preamble: [String] {
        let config = GlobalOptions.config.spec.name
        return [
            "#compdef storekeeper",
            "# zsh completion for storekeeper, written by 'storekeeper completion zsh'.",
            "",
            "_storekeeper_categories() {",
            "    local -a config categories",
            "    local i=${words[(I)\(config)]}",
            "    (( i > 0 )) && config=(\(config) \"${words[i + 1]}\")",
            "    categories=(${(f)\"$(${words[1]} $config \(CompletionCommand.categoryLister))\"})",
            "    compadd -a categories",
            "}",
            "",
            "_storekeeper() {",
            "    local curcontext=\"$curcontext\" state line",
            "    typeset -A opt_args",
            "    local -a commands=(",
        ]
    }

    static func commandCase(_ command: CommandSpec) -> [String] {
        var specs = command.allOptions.map(optionSpec)
        if let choices = CompletionCommand.choices(of: command) {
            specs.append("'1:\(command.arguments.first?.name ?? "argument"):(\(choices.joined(separator: " ")))'")
            for argument in command.arguments.dropFirst() { specs.append("'*:\(argument.name):_files'") }
        }
        return ["                \(command.name))", "                    _arguments \\"]
            + specs.enumerated().map { index, spec in
                "                        " + spec + (index == specs.count - 1 ? " ;;" : " \\")
            }
    }

    /// Text inside a single-quoted zsh word: an `_arguments` description in
    /// brackets, or a `_describe` one, which only splits at its first colon.
    static func description(_ text: String, inBrackets: Bool = true) -> String {
        var result = ""
        for character in CompletionCommand.summary(text) {
            switch character {
            case "'": result += "'\\''"
            case "[", "]", "\\": result += (inBrackets ? "\\" : "") + String(character)
            default: result.append(character)
            }
        }
        return result
    }

    /// One `_arguments` spec: `'--wait[How long…]:seconds: '`.
    static func optionSpec(_ option: OptionSpec) -> String {
        let text = description(option.help)
        if let short = option.shortName {
            return "'(\(short) \(option.name))'{\(short),\(option.name)}'[\(text)]'"
        }
        guard let valueName = option.valueName else { return "'\(option.name)[\(text)]'" }
        let action =
            switch option.completion {
            case .files: "_files"
            case .categories: "_storekeeper_categories"
            case .none: " "
            }
        return "'\(option.name)[\(text)]:\(valueName):\(action)'"
    }
}

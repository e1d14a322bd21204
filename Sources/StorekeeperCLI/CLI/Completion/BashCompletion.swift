/// `storekeeper completion bash`.
enum BashCompletion {
    static func script(_ commands: [CommandSpec]) -> String {
        let valued = valuedOptions(commands)
        var lines = categoriesFunction + [""] + scanner(valuedNames: valued.map(\.name))
        lines.append("    case \"$prev\" in")
        for (completion, reply) in valueReplies {
            let names = valued.filter { $0.completion == completion }.map(\.name)
            if !names.isEmpty { lines.append("        \(names.joined(separator: "|")))\(reply) return ;;") }
        }
        lines += ["    esac"] + commandCases(commands) + ["}", "complete -F _storekeeper storekeeper"]
        return lines.joined(separator: "\n")
    }

    /// What each kind of value completes to, in the order the cases are written.
    static let valueReplies: [(ValueCompletion, String)] = [
        (.files, " COMPREPLY=($(compgen -f -- \"$cur\"));"),
        (.categories, " COMPREPLY=($(compgen -W \"$(_storekeeper_categories)\" -- \"$cur\"));"),
        (.none, ""),
    ]

    /// Every option that takes a value, once, by name.
    static func valuedOptions(_ commands: [CommandSpec]) -> [OptionSpec] {
        var byName: [String: OptionSpec] = [:]
        for option in commands.flatMap(\.allOptions) where option.takesValue && byName[option.name] == nil {
            byName[option.name] = option
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    static var categoriesFunction: [String] {
        let config = GlobalOptions.config.spec.name
        return [
            "# bash completion for storekeeper, written by 'storekeeper completion bash'.",
            "_storekeeper_categories() {",
            "    local config=() i",
            "    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do",
            "        [[ ${COMP_WORDS[i]} == \(config) ]] && config=(\(config) \"${COMP_WORDS[i + 1]}\")",
            "    done",
            "    \"${COMP_WORDS[0]}\" \"${config[@]}\" \(CompletionCommand.categoryLister)",
            "}",
        ]
    }

    /// Finds the subcommand and counts its arguments, stepping over option values.
    static func scanner(valuedNames: [String]) -> [String] {
        [
            "_storekeeper() {",
            "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD - 1]}\"",
            "    local command= positional=0 i word",
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            "        word=\"${COMP_WORDS[i]}\"",
            "        case \"$word\" in",
            "            \(valuedNames.joined(separator: "|"))) ((i++)) ;;",
            "            -*) ;;",
            "            *) if [[ -z $command ]]; then command=\"$word\"; else ((positional++)); fi ;;",
            "        esac",
            "    done",
        ]
    }

    static func commandCases(_ commands: [CommandSpec]) -> [String] {
        let names = commands.map(\.name)
        let topWords = names + ["help"] + GlobalOptions.options.map(\.spec.name)
        var lines = [
            "    case \"$command\" in",
            "        '') COMPREPLY=($(compgen -W '\(topWords.joined(separator: " "))' -- \"$cur\")) ;;",
            "        help) ((positional == 0)) && COMPREPLY=($(compgen -W '\(names.joined(separator: " "))' -- \"$cur\")) ;;",
        ]
        for command in commands {
            let words = command.allOptions.map(\.name).joined(separator: " ")
            lines.append("        \(command.name))")
            if let choices = CompletionCommand.choices(of: command) {
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
        lines.append("    esac")
        return lines
    }
}

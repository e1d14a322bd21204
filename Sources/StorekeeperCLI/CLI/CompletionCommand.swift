import StorekeeperConfig
import StorekeeperSystem

/// `storekeeper completion bash|zsh|fish|man`: shell completion scripts and the
/// man page, written from the same declarations as `--help` so the three
/// cannot drift apart.
enum CompletionCommand {
    static let spec = CommandSpec(
        name: "completion",
        abstract: "Print a shell completion script (bash, zsh, fish) or the man page (man).",
        discussion: """
            bash: source it, or save it as /usr/share/bash-completion/completions/storekeeper. \
            zsh: save it as _storekeeper in a folder of $fpath. fish: save it as \
            ~/.config/fish/completions/storekeeper.fish. man: the storekeeper(1) page in roff; \
            read it with 'storekeeper completion man | man -l -'. scripts/install.sh installs all four.
            """,
        options: Options.self,
        run: run)

    struct Options: CommandOptions {
        enum Format: String, CaseIterable, Sendable {
            case bash, zsh, fish, man
        }

        var format = Format.bash

        static let options: [Option<Self>] = []
        static let arguments: [Argument<Self>] = [.choice("format", \.format)]
    }

    static func run(_ options: Options, _: Invocation) throws -> ExitCode {
        let commands = CommandLineInterface.commands
        switch options.format {
        case .bash: Console.out(BashCompletion.script(commands))
        case .zsh: Console.out(ZshCompletion.script(commands))
        case .fish: Console.out(FishCompletion.script(commands))
        case .man: Console.out(ManPage.page(commands))
        }
        return .success
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

    /// Shell words that list the category keys of the configuration `check`
    /// reads; the scripts put the `--config <file>` of the line before them.
    static let categoryLister = "check 2>/dev/null | awk '/ retention / { print $1 }'"

    /// The words a command's first argument takes, when they are a fixed list.
    static func choices(of command: CommandSpec) -> [String]? {
        command.arguments.first?.choices
    }
}

import Testing

@testable import StorekeeperCLI

/// `--help`, the completion scripts and the man page are written from the
/// declarations, so every declared option and argument shows in each.
@Suite struct DeclaredOptionsTests {
    static let commands = CommandLineInterface.commands

    @Test func everyCommandHelpListsItsOptionsAndArguments() {
        for command in Self.commands {
            let help = command.help
            #expect(command.allOptions.first?.name == "--config" && command.allOptions.last?.name == "--help")
            for option in command.allOptions {
                #expect(help.contains("\n  \(option.synopsis) "), "\(command.name) help lacks \(option.synopsis)")
                #expect(help.contains(option.help), "\(command.name) help lacks the help of \(option.name)")
            }
            for argument in command.arguments {
                #expect(help.contains("\n  <\(argument.name)> "), "\(command.name) help lacks <\(argument.name)>")
            }
        }
    }

    @Test func theTopHelpListsTheGlobalOptionsAndEveryCommand() {
        let help = CommandLineInterface.help
        for option in GlobalOptions.options.map(\.spec) {
            #expect(help.contains("\n  \(option.synopsis) "), "\(option.name)")
        }
        for command in Self.commands { #expect(help.contains("\n  \(command.name) "), "\(command.name)") }
    }

    @Test func bashCompletesEveryOptionAndChoice() {
        let script = BashCompletion.script(Self.commands)
        for command in Self.commands {
            let arm =
                script.components(separatedBy: "\n        \(command.name))\n").dropFirst().first?
                .components(separatedBy: ";;").first ?? ""
            for option in command.allOptions { #expect(arm.contains(option.name), "\(command.name) \(option.name)") }
            for choice in command.arguments.first?.choices ?? [] { #expect(arm.contains(choice), "\(choice)") }
        }
        for option in BashCompletion.valuedOptions(Self.commands) {
            #expect(script.contains(option.name + ")") || script.contains(option.name + "|"), "\(option.name)")
        }
    }

    @Test func zshAndFishCompleteEveryOption() {
        let zsh = ZshCompletion.script(Self.commands)
        let fish = FishCompletion.script(Self.commands)
        for command in Self.commands {
            for option in command.options {
                #expect(zsh.contains("'\(option.name)["), "zsh: \(command.name) \(option.name)")
                #expect(
                    fish.contains("'__fish_seen_subcommand_from \(command.name)' -l \(option.name.dropFirst(2))"),
                    "fish: \(command.name) \(option.name)")
            }
        }
        for option in GlobalOptions.options.map(\.spec) {
            #expect(zsh.contains(option.name), "zsh: \(option.name)")
            #expect(fish.contains("-l \(option.name.dropFirst(2))"), "fish: \(option.name)")
        }
        #expect(zsh.contains("'1:action:(list restore empty)'"))
        #expect(fish.contains("-a 'bash zsh fish man'"))
    }

    @Test func theManPageDescribesEveryOption() {
        let page = ManPage.page(Self.commands)
        for command in Self.commands {
            #expect(page.contains("\n.SS \"\(command.name)\"\n"), "\(command.name)")
            for option in command.allOptions { #expect(page.contains(ManPage.option(option)), "\(option.name)") }
        }
        #expect(page.contains(ManPage.option(GlobalOptions.version.spec)))
    }

    @Test func onlyOneOptionByEachNameInACommand() {
        for command in Self.commands {
            let names = command.allOptions.map(\.name)
            #expect(Set(names).count == names.count, "\(command.name): \(names)")
        }
    }
}

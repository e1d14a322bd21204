import Foundation

/// The tree most end-to-end suites start from, and what `clean --json` said.
extension TemporaryTree {
    /// An initialized tree with a config of our own (trash off unless asked);
    /// `extra` is YAML appended inside `storage:` right after `cleanup:`'s
    /// `use_trash` (indent it by two spaces for a section, four for a
    /// `cleanup` key), and `base` replaces the tree's own storage base.
    package static func initialized(_ extra: String = "", useTrash: Bool = false, base: String? = nil) throws
        -> TemporaryTree
    {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            """
            storage:
              base_path: "\(base ?? tree.base)"
              cleanup:
                use_trash: \(useTrash)
            \(extra)
            """)
        let result = try tree.storekeeper(["init"])
        precondition(result.status == 0, result.stderr)
        return tree
    }

    /// `storekeeper clean --json` with `arguments`: the exit status, the
    /// report ([:] when stdout is not JSON) and everything it printed.
    package func clean(_ arguments: [String] = []) throws -> (status: Int32, json: [String: Any], output: String) {
        let result = try storekeeper(["clean", "--json"] + arguments)
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        return (result.status, json, result.stderr + result.stdout)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// One category's counts in a `clean --json` report; [:] when absent.
    package func category(_ name: String) -> [String: Any] {
        (self["categories"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }
}

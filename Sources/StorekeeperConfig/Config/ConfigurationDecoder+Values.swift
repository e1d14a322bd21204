import StorekeeperSystem

/// The typed readers the sections use: each turns one YAML node into a value
/// or a `ConfigError` that names the key path, the line and what was found.
extension ConfigurationDecoder {

    func error(_ node: YAMLNode, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.line, key: path.isEmpty ? nil : path, message: message)
    }

    func unknownKey(_ entry: YAMLMappingEntry, _ path: String) -> ConfigError {
        ConfigError(
            file: file, line: entry.keyLine, key: path,
            message: "unknown key" + Suggestion.phrase(for: entry.key, among: ConfigKeys.siblings(of: path)))
    }

    /// How a wrong value is shown: its text, or its kind.
    func found(_ node: YAMLNode) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let scalar) where scalar.style != .plain: "the quoted string '\(scalar.text)'"
        case .scalar(let scalar) where scalar.resolved == .null: "no value"
        case .scalar(let scalar): "'\(scalar.text)'"
        }
    }

    func scalarText(_ node: YAMLNode) -> String {
        guard case .scalar(let scalar) = node else { return found(node) }
        return scalar.text
    }

    func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar(let scalar) = node, scalar.resolved == .null { return true }
        return false
    }

    func resolved(_ node: YAMLNode) -> YAMLValue? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.resolved
    }

    /// A section's entries; an empty `section:` is an empty section.
    func mapping(_ node: YAMLNode, _ path: String) throws(ConfigError) -> [YAMLMappingEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case _ where isNull(node): return []
        default: throw error(node, path, "expected a mapping, found \(found(node))")
        }
    }

    func string(_ node: YAMLNode, _ path: String) throws(ConfigError) -> String {
        guard case .string(let text)? = resolved(node) else {
            throw error(node, path, "expected a string, found \(found(node))")
        }
        return text
    }

    func optionalString(_ node: YAMLNode, _ path: String) throws(ConfigError) -> String? {
        isNull(node) ? nil : try string(node, path)
    }

    func bool(_ node: YAMLNode, _ path: String) throws(ConfigError) -> Bool {
        guard case .bool(let value)? = resolved(node) else {
            throw error(node, path, "expected true or false, found \(found(node))")
        }
        return value
    }

    func positiveInteger(_ node: YAMLNode, _ path: String) throws(ConfigError) -> Int {
        guard case .int(let value)? = resolved(node) else {
            throw error(node, path, "expected an integer, found \(found(node))")
        }
        guard value >= 1 else {
            throw error(node, path, "must be at least 1, found \(value)")
        }
        return Int(value)
    }

    func number(_ node: YAMLNode, _ path: String) throws(ConfigError) -> Double {
        switch resolved(node) {
        case .int(let value)?: return Double(value)
        case .float(let value)?: return value
        default: throw error(node, path, "expected a number, found \(found(node))")
        }
    }

    /// A one-of string such as `evict`/`alert`.
    func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: YAMLNode, _ path: String, _: Choice.Type
    ) throws(ConfigError) -> Choice where Choice.RawValue == String {
        let text = try string(node, path)
        guard let value = Choice(rawValue: text) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: " or ")
            throw error(node, path, "expected \(names), found '\(text)'")
        }
        return value
    }

    /// A list of strings; `check` returns the problem with one entry, which
    /// is reported at that entry's own line.
    func stringList(
        _ node: YAMLNode, _ path: String, check: (String) -> String? = { _ in nil }
    ) throws(ConfigError) -> [String] {
        if isNull(node) { return [] }
        guard case .sequence(let items, _) = node else {
            throw error(node, path, "expected a list of strings, found \(found(node))")
        }
        var strings: [String] = []
        for item in items {
            let text = try string(item, path)
            if let problem = check(text) {
                throw error(item, path, problem)
            }
            strings.append(text)
        }
        return strings
    }

    /// A duration or size: an integer, or a string in the units syntax.
    func parsed(
        _ node: YAMLNode, _ path: String,
        _ parse: (String) throws(ConfigValueParser.InvalidValue) -> Int64
    ) throws(ConfigError) -> Int64 {
        guard case .scalar(let scalar) = node, scalar.resolved != .null else {
            throw error(node, path, "expected a value, found \(found(node))")
        }
        let text = if case .int(let value) = scalar.resolved { String(value) } else { scalar.text }
        do {
            return try parse(text)
        } catch {
            throw self.error(node, path, error.message)
        }
    }

    /// Only the shape is checked here; the scheduler parses the fields.
    /// A schedule is parsed here, so `check` reports a bad one with its line.
    func cron(_ node: YAMLNode, _ path: String) throws(ConfigError) -> String {
        let text = try string(node, path)
        let expression: CronExpression
        do {
            expression = try CronExpression(text)
        } catch let cronError {
            throw error(node, path, "\(cronError)")
        }
        // A job that never runs is a mistake, not a way to turn one off
        // (`enabled: false` is). Five years covers every February 29.
        let now = WallClock.now()
        guard let next = expression.nextFire(after: now), next - now <= 5 * 366 * 86_400 else {
            throw error(node, path, "'\(text)' never fires (no occurrence in the next 5 years)")
        }
        return text
    }

    /// `host:port` or `[ipv6]:port`, port 0-65535 (0: any free port).
    func listenAddress(_ node: YAMLNode, _ path: String) throws(ConfigError) -> String {
        let text = try string(node, path)
        guard ListenAddress(text) != nil else {
            throw error(
                node, path,
                "expected host:port with a port from 0 to 65535 (e.g. 127.0.0.1:9464; 0 picks a free port), found '\(text)'"
            )
        }
        return text
    }
}

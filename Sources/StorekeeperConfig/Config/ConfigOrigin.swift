/// Where a setting came from, so that a problem found only after the file
/// and the environment are merged still points at the line or variable.
enum ConfigOrigin: Equatable {
    case file(line: Int, key: String)
    case environment(variable: String)
    case builtIn

    func error(_ message: String, file: String) -> ConfigError {
        switch self {
        case .file(let line, let key): ConfigError(file: file, line: line, key: key, message: message)
        case .environment(let variable): ConfigError(file: "environment", line: nil, key: variable, message: message)
        case .builtIn: ConfigError(file: file, line: nil, key: nil, message: message)
        }
    }

    func warning(_ message: String, file: String) -> ConfigWarning {
        let error = error(message, file: file)
        return ConfigWarning(file: error.file, line: error.line, key: error.key, message: message)
    }
}

import Glibc
import StorekeeperSystem

/// Loads, merges and validates the configuration: the file, then the
/// environment overrides, then the checks that need both.
public enum ConfigurationLoader {
    /// `noteRelativePaths`: warn of each relative path and where it leads
    /// (`check` says it once; the daemon and `/validate` do not repeat it).
    public static func load(
        file: String, environment: [String: String], currentDirectory: String, noteRelativePaths: Bool = false
    ) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
        let text = try readText(file)
        return try load(
            text: text, file: file, environment: environment, currentDirectory: currentDirectory,
            configDirectory: realFolder(of: file, currentDirectory: currentDirectory),
            noteRelativePaths: noteRelativePaths)
    }

    public static func load(
        text: String, file: String, environment: [String: String], currentDirectory: String,
        configDirectory: String? = nil, noteRelativePaths: Bool = false
    ) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
        let root: YAMLNode
        do {
            root = try YAMLReader.parse(text, file: file)
        } catch {
            throw ConfigError(file: error.file, line: error.line, key: nil, message: error.message)
        }
        var decoder = ConfigurationDecoder(file: file)
        var draft = try decoder.decode(root)
        var warnings = decoder.warnings
        var errors = decoder.errors
        do {
            try EnvironmentOverrides.apply(environment, to: &draft, warnings: &warnings)
            let (configuration, finalWarnings) = try draft.finalize(
                file: file, configDirectory: configDirectory ?? folder(of: file, currentDirectory: currentDirectory),
                currentDirectory: currentDirectory, noteRelativePaths: noteRelativePaths)
            if errors.isEmpty { return (configuration, warnings + finalWarnings) }
        } catch {
            // A base_path of the wrong type is already reported; "missing" would contradict it.
            let reported = Set(errors.compactMap(\.key))
            errors += error.all.filter { !($0.key == "storage.base_path" && reported.contains("storage.base_path")) }
        }
        throw ConfigError.combining(errors)
    }

    /// The folder holding a file that was just read, without symlinks or
    /// `..`, so that `../storage` beside it reads as the operator means.
    private static func realFolder(of file: String, currentDirectory: String) -> String {
        let folder = folder(of: file, currentDirectory: currentDirectory)
        guard let resolved = realpath(folder, nil) else { return folder }
        defer { free(resolved) }
        return String(decoding: UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)), as: UTF8.self)
    }

    /// The absolute folder holding `file`, lexically.
    static func folder(of file: String, currentDirectory: String) -> String {
        let absolute = file.hasPrefix("/") ? file : currentDirectory + "/" + file
        var components = absolute.split(separator: "/").filter { $0 != "." }
        if !components.isEmpty { components.removeLast() }
        return "/" + components.joined(separator: "/")
    }

    /// The file as strict UTF-8: a config with a stray Latin-1 byte is
    /// reported at its line rather than read with a replacement character.
    private static func readText(_ path: String) throws(ConfigError) -> String {
        let bytes = try readBytes(path)
        var text = String.UnicodeScalarView()
        var line = 1
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                text.append(scalar)
                if scalar == "\n" { line += 1 }
            case .emptyInput:
                return String(text)
            case .error:
                throw ConfigError(file: path, line: line, key: nil, message: "not valid UTF-8 text")
            }
        }
    }

    private static func readBytes(_ path: String) throws(ConfigError) -> [UInt8] {
        do {
            let descriptor = try FileDescriptor.open(PathBytes.bytes(path), access: .readOnly)
            return try descriptor.readToEnd(path: PathBytes.bytes(path))
        } catch {
            throw ConfigError(
                file: path, line: nil, key: nil,
                message: "cannot read config file: \(String(cString: strerror(error.errno)))")
        }
    }
}

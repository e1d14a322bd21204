public struct Configuration: Sendable, Equatable {
  public var sourceFile: String
  public var basePath: String
  public var indexPath: String
  public var categories: [CategoryPolicy]
  public var cleanup: CleanupSettings
  public var monitoring = MonitoringSettings()
}
public struct MonitoringSettings: Sendable, Equatable { public enum LogLevel: String, Sendable { case debug, info, warning, error }; public var logLevel = LogLevel.info }
public enum OnQuotaX: String, Sendable { case evict, alert }
public enum AgeByX: String, Sendable { case mtime, pathDate = "path_date" }
public struct CategoryPolicy: Sendable, Equatable { public enum OnQuota: String, Sendable { case evict, alert }; public enum AgeBy: String, Sendable { case mtime, pathDate = "path_date" }; public var key: String; public var directories: [String]; public var retentionSeconds: Int64?; public var quotaBytes: Int64?; public var onQuota: OnQuota; public var ageBy: AgeBy }
public struct CleanupSettings: Sendable, Equatable { public var schedule = "0 2 * * *"; public var tempSchedule = "0 * * * *"; public var useTrash = true }
public struct ConfigError: Error, Equatable, CustomStringConvertible { public var file: String; public var line: Int?; public var key: String?; public var message: String; public var description: String { message } }
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible { public var description: String { "" } }
public enum ConfigurationLoader {
  public static func load(file: String, environment: [String: String], currentDirectory: String) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
    let base = environment["STORAGE_BASE_PATH"] ?? currentDirectory + "/storage"
    let cats = [("temp", "temp", Int64(86400)), ("frames", "frames", 2592000), ("contact_sheets", "contact-sheets", 2592000), ("uploads", "uploads", 604800), ("outputs", "outputs", -1)].map { CategoryPolicy(key: $0.0, directories: [$0.1], retentionSeconds: $0.2 < 0 ? nil : $0.2, quotaBytes: 5 << 30, onQuota: .evict, ageBy: .mtime) }
    return (Configuration(sourceFile: file, basePath: base, indexPath: base + "/.storekeeper/index.db", categories: cats, cleanup: CleanupSettings()), [])
  }
}

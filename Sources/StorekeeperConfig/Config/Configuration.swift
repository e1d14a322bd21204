/// The validated configuration every command runs with.
public struct Configuration: Sendable, Equatable {
    /// The path the configuration was loaded from, as given.
    public var sourceFile: String
    /// Absolute root of the storage tree.
    public var basePath: String
    /// Absolute path of the SQLite index.
    public var indexPath: String
    /// Eviction priority order: temp, frames, contact_sheets, uploads,
    /// outputs, then extra categories in the order the file names them.
    public var categories: [CategoryPolicy]
    public var cleanup: CleanupSettings
    public var monitoring: MonitoringSettings
    public var watch: WatchSettings

    public init(
        sourceFile: String,
        basePath: String,
        indexPath: String,
        categories: [CategoryPolicy],
        cleanup: CleanupSettings,
        monitoring: MonitoringSettings,
        watch: WatchSettings = WatchSettings()
    ) {
        self.sourceFile = sourceFile
        self.basePath = basePath
        self.indexPath = indexPath
        self.categories = categories
        self.cleanup = cleanup
        self.monitoring = monitoring
        self.watch = watch
    }

    /// The policy owning a top-level folder of the base path, or nil for an
    /// unmanaged folder.
    public func category(forDirectory name: String) -> CategoryPolicy? {
        categories.first { $0.directories.contains(name) }
    }
}

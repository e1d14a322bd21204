/// The one place the version is written: `--version`, the HTTP `Server`
/// header and the `storekeeper_build_info` metric read it from here.
public enum StorekeeperVersion {
    public static let current = "0.1.0"
}

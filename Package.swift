// swift-tools-version:6.0
// Storekeeper has no package dependencies by design: Glibc for syscalls and
// inotify, and the system libsqlite3 through the CSQLite system-library target.
import PackageDescription

let package = Package(
    name: "storekeeper",
    products: [
        .executable(name: "storekeeper", targets: ["storekeeper"]),
        .library(name: "StorekeeperCore", targets: ["StorekeeperCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "StorekeeperCore",
            dependencies: ["CSQLite"]
        ),
        .executableTarget(
            name: "storekeeper",
            dependencies: ["StorekeeperCore"]
        ),
        .testTarget(
            name: "StorekeeperCoreTests",
            dependencies: ["StorekeeperCore"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "StorekeeperTests",
            dependencies: ["storekeeper", "StorekeeperCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

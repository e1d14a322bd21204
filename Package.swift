// swift-tools-version:6.0
// Storekeeper has no package dependencies by design: Glibc for syscalls and
// inotify, and the system libsqlite3 through the CSQLite system-library target.
//
// The targets form a one-way graph; each may use only the ones before it, and
// the compiler refuses an import the other way:
//
//   StorekeeperSystem -> StorekeeperConfig -> StorekeeperIndex -> StorekeeperEngine
//     -> StorekeeperMonitoring -> StorekeeperService -> StorekeeperCLI -> storekeeper
//   StorekeeperSystem -> StorekeeperConfig -> StorekeeperHTTP -> StorekeeperService
//
// StorekeeperHTTP is a small HTTP/1.1 server that knows nothing of storage;
// the daemon's routes live in StorekeeperService.
//
// docs/architecture.md says what each one owns.
import PackageDescription

let package = Package(
    name: "storekeeper",
    products: [
        .executable(name: "storekeeper", targets: ["storekeeper"])
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "StorekeeperSystem"),
        .target(name: "StorekeeperConfig", dependencies: ["StorekeeperSystem"]),
        .target(name: "StorekeeperIndex", dependencies: ["StorekeeperConfig", "CSQLite"]),
        .target(name: "StorekeeperEngine", dependencies: ["StorekeeperIndex"]),
        .target(name: "StorekeeperHTTP", dependencies: ["StorekeeperConfig"]),
        .target(name: "StorekeeperMonitoring", dependencies: ["StorekeeperEngine"]),
        .target(name: "StorekeeperService", dependencies: ["StorekeeperMonitoring", "StorekeeperHTTP"]),
        .target(name: "StorekeeperCLI", dependencies: ["StorekeeperService"]),
        .executableTarget(name: "storekeeper", dependencies: ["StorekeeperCLI"]),
        // What both test targets share: running programs, temporary trees,
        // the daemon harness. It uses none of the targets above, so a test
        // helper cannot reach into the code it tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "StorekeeperUnitTests",
            dependencies: ["StorekeeperCLI", "TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "StorekeeperTests",
            dependencies: ["storekeeper", "StorekeeperCLI", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

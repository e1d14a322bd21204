import Foundation

/// This checkout, for the tests that read its files (docs, config, scripts,
/// schema) or find what scripts/test put in `.build-venv/`.
package enum Repository {
    /// This file is `Tests/TestSupport/Repository.swift`.
    package static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

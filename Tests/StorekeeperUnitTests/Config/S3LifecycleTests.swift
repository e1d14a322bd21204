import Foundation
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperSystem

/// The S3 export says no more than the local policy: whole days rounded up,
/// nothing for what is kept forever, a refusal where a protection would be
/// lost, and a document S3's own service model accepts.
@Suite struct S3LifecycleTests {
    static func configuration(_ extra: String = "") throws -> Configuration {
        let text = """
            storage:
              base_path: /srv/storage
              retention:
                temp: 1h
                uploads: 30d
                frames: 36h
              \(extra)
            """
        return try ConfigurationLoader.load(text: text, file: "c.yaml", environment: [:], currentDirectory: "/").0
    }

    static func rules(_ lifecycle: S3Lifecycle) -> [String: JSONValue] {
        var byID: [String: JSONValue] = [:]
        for rule in lifecycle.rules {
            if let id = rule["ID"]?.stringValue { byID[id] = rule }
        }
        return byID
    }

    @Test func retentionsBecomeWholeDaysRoundedUpAndOutputsGetNoRule() throws {
        let lifecycle = try S3Lifecycle(try Self.configuration())
        let rules = Self.rules(lifecycle)
        #expect(rules["storekeeper-temp-temp/"]?["Expiration"]?["Days"]?.intValue == 1, "1 h is one day, never zero")
        #expect(rules["storekeeper-uploads-uploads/"]?["Expiration"]?["Days"]?.intValue == 30)
        #expect(
            rules["storekeeper-frames-frames/"]?["Expiration"]?["Days"]?.intValue == 2, "36 h rounds up, never down")
        #expect(rules["storekeeper-frames-frames/"]?["Filter"]?["Prefix"]?.stringValue == "frames/")
        #expect(
            !lifecycle.rules.contains { $0["Filter"]?["Prefix"]?.stringValue == "outputs/" }, "outputs is never expired"
        )
        #expect(lifecycle.notes.contains { $0.message.hasPrefix("outputs: kept forever") })
        #expect(lifecycle.notes.contains { $0.message == "frames: retention of 129600 s rounded up to 2 days" })
        let housekeeping = try #require(rules["storekeeper-housekeeping"])
        #expect(housekeeping["AbortIncompleteMultipartUpload"]?["DaysAfterInitiation"]?.intValue == 1)
        #expect(housekeeping["NoncurrentVersionExpiration"]?["NoncurrentDays"]?.intValue == 7, "the trash retention")
    }

    @Test func aPrefixIsPutBeforeEveryFolder() throws {
        let lifecycle = try S3Lifecycle(try Self.configuration(), prefix: "media/")
        let prefixes = lifecycle.rules.compactMap { $0["Filter"]?["Prefix"]?.stringValue }
        #expect(prefixes.allSatisfy { $0.hasPrefix("media/") }, "\(prefixes)")
        #expect(throws: S3Lifecycle.Refusal.self) { try S3Lifecycle(try Self.configuration(), prefix: "media") }
        #expect(throws: S3Lifecycle.Refusal.self) { try S3Lifecycle(try Self.configuration(), prefix: "/media/") }
    }

    @Test func excludePatternsRefuseTheExportUnlessAccepted() throws {
        let configuration = try Self.configuration("cleanup:\n    exclude: ['*.keep']")
        #expect(throws: S3Lifecycle.Refusal.self) { try S3Lifecycle(configuration) }
        let accepted = try S3Lifecycle(configuration, ignoringExclude: true)
        #expect(accepted.notes.contains { $0.message.contains("*.keep") })
    }

    @Test func ruleIDsAreUniqueAndShortEnough() throws {
        let lifecycle = try S3Lifecycle(try Self.configuration())
        let ids = lifecycle.rules.compactMap { $0["ID"]?.stringValue }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count <= 255 })
    }

    /// botocore's model of PutBucketLifecycleConfiguration and its parameter
    /// validator, offline: the same check the AWS CLI runs before sending.
    @Test func botocoreAcceptsTheDocument() throws {
        guard let python = Self.botocorePython() else {
            Issue.record(
                """
                botocore is not installed: set STOREKEEPER_BOTOCORE_PYTHON to a python that has it, \
                or run scripts/test, which installs it in .build-venv/botocore
                """)
            return
        }
        for lifecycle in [
            try S3Lifecycle(try Self.configuration()),
            try S3Lifecycle(try Self.configuration(), prefix: "tenant-a/media/"),
        ] {
            let result = try Shell.run([python, "-c", Self.validator], input: lifecycle.json.serialized(pretty: false))
            #expect(result.status == 0, "botocore refused it:\n\(result.stdout)\(result.stderr)")
        }
        // The validator is not a rubber stamp: a misspelt key and a string for a number fail.
        let broken =
            #"{"Rules": [{"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Dayz": "1"}}]}"#
        #expect(try Shell.run([python, "-c", Self.validator], input: broken).status != 0)
    }

    static let validator = """
        import json, sys
        import botocore.session
        from botocore.validate import ParamValidator
        model = botocore.session.get_session().get_service_model("s3")
        shape = model.operation_model("PutBucketLifecycleConfiguration").input_shape
        report = ParamValidator().validate({"Bucket": "bucket", "LifecycleConfiguration": json.load(sys.stdin)}, shape)
        if report.has_errors():
            print(report.generate_report())
            sys.exit(1)
        """

    static func botocorePython() -> String? {
        if let configured = ProcessInfo.processInfo.environment["STOREKEEPER_BOTOCORE_PYTHON"], !configured.isEmpty {
            return FileManager.default.isExecutableFile(atPath: configured) ? configured : nil
        }
        let python = Repository.root + "/.build-venv/botocore/bin/python"
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }
}

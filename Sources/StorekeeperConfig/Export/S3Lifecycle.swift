import StorekeeperSystem

/// The retention policy as an S3 lifecycle configuration, for a deployment
/// that keeps the same categories in a bucket (one prefix per category
/// folder): the body of `PutBucketLifecycleConfiguration`, as `aws s3api
/// put-bucket-lifecycle-configuration --lifecycle-configuration file://…`
/// takes it.
///
/// S3 can only say less than the local policy, so every translation errs on
/// the side of keeping: a retention becomes whole days rounded up (an object
/// is never removed before the local policy would remove it), a category kept
/// forever (outputs, `retention: -1`) gets no expiration at all, and exclude
/// patterns, which no lifecycle filter can express, refuse the export unless
/// the operator accepts that the bucket does not honour them.
public struct S3Lifecycle: Sendable {
    /// What the export could not carry over, for stderr.
    public struct Note: Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let rules: [JSONValue]
    public let notes: [Note]

    /// Days an incomplete multipart upload may linger: a crashed upload's parts
    /// cost storage and are listed nowhere else.
    public static let abortIncompleteUploadDays: Int64 = 1
    public static let maximumRules = 1000

    /// - Parameters:
    ///   - prefix: the key prefix the base maps to in the bucket ("" or ending in "/").
    ///   - ignoringExclude: export even though exclude patterns are configured.
    public init(_ configuration: Configuration, prefix: String = "", ignoringExclude: Bool = false) throws(Refusal) {
        guard prefix.isEmpty || prefix.hasSuffix("/"), !prefix.hasPrefix("/") else {
            throw Refusal(description: "the prefix '\(prefix)' must be empty or end in '/' and not start with '/'")
        }
        var notes: [Note] = []
        if !configuration.cleanup.exclude.isEmpty {
            let patterns = configuration.cleanup.exclude.joined(separator: ", ")
            guard ignoringExclude else {
                throw Refusal(
                    description: "cleanup.exclude protects \(patterns), which an S3 lifecycle rule cannot express: "
                        + "the bucket would expire those objects; pass --ignore-exclude to export anyway")
            }
            notes.append(
                Note(message: "not carried over: cleanup.exclude (\(patterns)); the bucket expires those objects"))
        }
        var rules: [JSONValue] = []
        for policy in configuration.categories {
            guard let seconds = policy.retentionSeconds, policy.key != CategoryPolicy.protectedKey else {
                notes.append(Note(message: "\(policy.key): kept forever, no rule"))
                continue
            }
            let days = Self.days(rounding: seconds)
            if days * 86_400 != seconds {
                notes.append(Note(message: "\(policy.key): retention of \(seconds) s rounded up to \(days) days"))
            }
            if policy.quotaBytes != nil {
                notes.append(Note(message: "\(policy.key): quota not carried over (S3 has no per-prefix quota)"))
            }
            for directory in policy.directories {
                rules.append(Self.expirationRule(category: policy.key, prefix: prefix + directory + "/", days: days))
            }
        }
        rules.append(
            Self.housekeepingRule(
                prefix: prefix, trashDays: Self.days(rounding: configuration.cleanup.trashRetentionSeconds)))
        guard rules.count <= Self.maximumRules else {
            throw Refusal(description: "\(rules.count) rules; S3 allows at most \(Self.maximumRules) per bucket")
        }
        notes.append(Note(message: "S3 counts age from the upload (object creation), not from the file's mtime"))
        self.rules = rules
        self.notes = notes
    }

    /// The `LifecycleConfiguration` document.
    public var json: JSONValue { .object([("Rules", .array(rules))]) }

    /// Whole days, rounded up, at least one (S3 refuses zero).
    static func days(rounding seconds: Int64) -> Int64 {
        max(1, seconds / 86_400 + (seconds % 86_400 == 0 ? 0 : 1))
    }

    /// S3 rule IDs are at most 255 characters, unique per bucket.
    static func ruleID(_ text: String) -> String {
        String(("storekeeper-" + text).prefix(255))
    }

    static func expirationRule(category: String, prefix: String, days: Int64) -> JSONValue {
        .object([
            ("ID", .string(ruleID("\(category)-\(prefix)"))),
            ("Filter", .object([("Prefix", .string(prefix))])),
            ("Status", .string("Enabled")),
            ("Expiration", .object([("Days", .int(days))])),
        ])
    }

    /// Incomplete multipart uploads aborted everywhere under the prefix; with
    /// versioning on, a deleted object's old versions are the trash: they go
    /// after the trash retention, and delete markers left with no version go too.
    static func housekeepingRule(prefix: String, trashDays: Int64) -> JSONValue {
        .object([
            ("ID", .string(ruleID("housekeeping"))),
            ("Filter", .object([("Prefix", .string(prefix))])),
            ("Status", .string("Enabled")),
            ("AbortIncompleteMultipartUpload", .object([("DaysAfterInitiation", .int(abortIncompleteUploadDays))])),
            ("NoncurrentVersionExpiration", .object([("NoncurrentDays", .int(trashDays))])),
            ("Expiration", .object([("ExpiredObjectDeleteMarker", .bool(true))])),
        ])
    }
}

import StorekeeperConfig

/// The policy as the index recorded it (`categories`), for comparing with
/// the configuration a daemon runs with.
extension IndexStore {
    public func recordedPolicies() throws -> [CategoryPolicy] {
        var policies: [CategoryPolicy] = []
        try database.statement(
            "SELECT key, directories, retention_seconds, quota_bytes, on_quota, age_by FROM categories ORDER BY priority"
        ).forEachRow { row in
            policies.append(
                CategoryPolicy(
                    key: row.string(0), directories: row.string(1).split(separator: "/").map(String.init),
                    retentionSeconds: row.optionalInt64(2), quotaBytes: row.optionalInt64(3),
                    onQuota: CategoryPolicy.OnQuota(rawValue: row.string(4)) ?? .alert,
                    ageBy: CategoryPolicy.AgeBy(rawValue: row.string(5)) ?? .mtime))
        }
        return policies
    }
}

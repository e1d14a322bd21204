/// "did you mean 'X'?" for a misspelt key, flag or category: the closest
/// known name by edit distance, when it is close enough to be a typo rather
/// than a different word.
package enum Suggestion {
    /// The closest of `candidates`, or nil when none is within two edits
    /// (one for names of up to four characters: `tmp` is not `temp`'s typo
    /// only by luck, `ab` and `cd` are different words).
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = word.count <= 4 ? 1 : 2
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = editDistance(word, candidate)
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// `; did you mean 'X'?`, or nothing.
    package static func phrase(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance, counting a swap of two neighbours as one edit
    /// (`stroage`), the commonest typo.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}

/// The keys each section of the file accepts, for the suggestion an unknown
/// key gets. The decoder's switches are the authority; a test decodes every
/// key listed here so the two cannot drift apart.
enum ConfigKeys {
    static let sections: [String: [String]] = [
        "": ["storage"],
        "storage": ["base_path", "index_path", "retention", "quotas", "categories", "cleanup", "monitoring", "watch"],
        "storage.categories.*": ["directories", "on_quota", "age_by"],
        "storage.cleanup": [
            "enabled", "schedule", "temp_schedule", "dry_run", "batch_size", "use_trash", "trash_retention", "exclude",
            "max_files_per_run", "low_disk",
        ],
        "storage.cleanup.low_disk": ["evict_unexpired", "evict_below_percent"],
        "storage.monitoring": [
            "log_level", "metrics_enabled", "alert_threshold_percent", "min_free_bytes", "log_file", "metrics_listen",
            "allow_remote", "textfile_path", "event_retention", "event_log_max_bytes", "history_interval",
            "history_retention",
        ],
        "storage.watch": ["mode", "poll_interval"],
    ]

    /// The keys accepted beside `path` (a dotted key such as
    /// `storage.cleanup.shedule`).
    static func siblings(of path: String) -> [String] {
        var parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast()
        if parts.count == 3, parts[0] == "storage", parts[1] == "categories" { parts[2] = "*" }
        return sections[parts.joined(separator: ".")] ?? []
    }
}

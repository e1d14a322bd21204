import Testing

@testable import StorekeeperConfig

/// `cleanup.exclude` as `.gitignore` lines: the matcher on its own, then the
/// configuration that refuses what it cannot match.
@Suite struct ExcludePatternTests {
    static func matches(_ pattern: String, _ path: String) throws -> Bool {
        try ExcludePattern(pattern).matches(Array(path.utf8))
    }

    static func expect(
        _ pattern: String, protects: [String], spares: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for path in protects {
            #expect(try matches(pattern, path), "'\(pattern)' should protect \(path)", sourceLocation: sourceLocation)
        }
        for path in spares {
            #expect(
                try !matches(pattern, path), "'\(pattern)' should not protect \(path)", sourceLocation: sourceLocation)
        }
    }

    // MARK: A folder protects everything below it

    /// The bug: `uploads/important` and `uploads/important/` protected nothing,
    /// only `uploads/important/*` did (and then only one level deep).
    @Test(arguments: [
        "uploads/important", "uploads/important/", "uploads/important/**", "/uploads/important", "/uploads/important/",
    ])
    func aFolderPatternProtectsEverythingBelowIt(pattern: String) throws {
        try Self.expect(
            pattern,
            protects: [
                "uploads/important/a.jpg", "uploads/important/2026-11-01/deep/b.mov", "uploads/important/.hidden",
            ],
            spares: [
                "uploads/importantly/a.jpg", "uploads/other/a.jpg", "uploads/a.jpg", "frames/uploads/important/a.jpg",
            ])
        // Only a pattern that may name a file protects a file of that name.
        #expect(try Self.matches(pattern, "uploads/important") == (!pattern.hasSuffix("/") && !pattern.hasSuffix("**")))
    }

    @Test func aFolderPatternWithoutTrailingSlashAlsoNamesAFile() throws {
        try Self.expect(
            "uploads/notes.txt", protects: ["uploads/notes.txt"],
            spares: ["uploads/notes.txt.bak", "x/uploads/notes.txt"])
    }

    @Test func aTrailingSlashMatchesFoldersOnly() throws {
        try Self.expect(
            "raw/", protects: ["raw/a.dng", "uploads/raw/a.dng", "uploads/2026/raw/x/y.dng"],
            spares: ["uploads/raw", "raw", "uploads/rawfile/a"])
    }

    @Test func aTrailingDoubleStarIsWhatIsInside() throws {
        try Self.expect(
            "uploads/keep/**", protects: ["uploads/keep/a", "uploads/keep/a/b/c"],
            spares: ["uploads/keep", "uploads/keeper/a"])
    }

    // MARK: Names at any depth

    @Test func aPatternWithoutSlashMatchesANameAtAnyDepth() throws {
        try Self.expect(
            "*.keep",
            protects: ["a.keep", "uploads/b.keep", "uploads/2026-11-01/job/c.keep", "uploads/folder.keep/inside.jpg"],
            spares: ["a.keep.bak", "uploads/keep", "uploads/a.keeper"])
        try Self.expect(
            "keep-me", protects: ["keep-me", "temp/job/keep-me", "temp/keep-me/x"], spares: ["temp/keep-me-not"])
    }

    @Test func aLeadingDoubleStarMatchesAtAnyDepth() throws {
        try Self.expect(
            "**/keep-*", protects: ["keep-1", "uploads/keep-2.jpg", "uploads/a/b/keep-3", "uploads/keep-dir/x.jpg"],
            spares: ["uploads/dont-keep-1", "uploads/a/keep"])
    }

    @Test func aMiddleDoubleStarSpansZeroOrMoreFolders() throws {
        try Self.expect(
            "uploads/**/final", protects: ["uploads/final", "uploads/a/final", "uploads/a/b/final/x.mov"],
            spares: ["outputs/final", "uploads/finals", "uploads/a/final.mov"])
    }

    @Test func aLeadingSlashAnchorsAtTheBase() throws {
        try Self.expect("/keep", protects: ["keep", "keep/a"], spares: ["uploads/keep", "uploads/keep/a"])
        try Self.expect("/*.mov", protects: ["a.mov"], spares: ["outputs/a.mov"])
    }

    // MARK: One name

    @Test func aStarStaysWithinOneName() throws {
        try Self.expect(
            "uploads/*.jpg", protects: ["uploads/a.jpg", "uploads/.b.jpg"],
            spares: ["uploads/x/a.jpg", "uploads/a.png"])
        try Self.expect("uploads/*", protects: ["uploads/a", "uploads/x/y/z"], spares: ["uploadsx/a"])
        try Self.expect("a*b*c", protects: ["abc", "aXXbYYc", "abbbc", "a/b/abcbc"], spares: ["ab", "acb", "abcd"])
    }

    @Test func aQuestionMarkIsOneCharacter() throws {
        try Self.expect("?.jpg", protects: ["a.jpg", "é.jpg", "uploads/日.jpg"], spares: ["ab.jpg", ".jpg"])
    }

    @Test func classesAndEscapes() throws {
        try Self.expect(
            "frame_[0-9][0-9].png", protects: ["frames/frame_07.png"],
            spares: ["frames/frame_7.png", "frames/frame_a7.png"])
        try Self.expect("[!a]*.tmp", protects: ["b.tmp", "temp/z1.tmp"], spares: ["a.tmp", "temp/a1.tmp"])
        try Self.expect("[]x]", protects: ["]", "x"], spares: ["y"])
        try Self.expect("[a-]", protects: ["a", "-"], spares: ["b"])
        try Self.expect("\\*literal", protects: ["*literal"], spares: ["xliteral"])
        try Self.expect("\\!important", protects: ["uploads/!important/a"], spares: ["uploads/important/a"])
        try Self.expect("\\#1", protects: ["uploads/#1"], spares: ["uploads/1"])
    }

    // MARK: Paths are bytes

    @Test func namesThatAreNotUTF8MatchAndNeverTrap() throws {
        let odd: [UInt8] = Array("uploads/bad".utf8) + [0xFF, 0xFE, 0xC3] + Array("/x.bin".utf8)
        #expect(try ExcludePattern("uploads/*/").matches(odd))
        #expect(try ExcludePattern("uploads/bad???").matches(odd))
        #expect(try ExcludePattern("*.bin").matches(odd))
        #expect(try !ExcludePattern("uploads/bad?").matches(odd))
        #expect(try !ExcludePattern("*.jpg").matches([0xC3]))
        #expect(try ExcludePattern("?").matches([0xE6, 0x97]))  // a truncated sequence is still one name
        #expect(try !ExcludePattern("x").matches([]))
    }

    // MARK: Refusals

    @Test(arguments: [
        ("", "it is empty"),
        ("/", "it names no file or folder"),
        ("//", "it names no file or folder"),
        ("!uploads/keep", "negation ('!') is not supported; write '\\!' for a name starting with '!'"),
        ("#keep", ".gitignore reads a leading '#' as a comment; write '\\#' for a name starting with '#'"),
        ("uploads//keep", "it has an empty path component ('//')"),
        ("uploads/../etc", "'.' and '..' never appear in the paths it is matched against"),
        ("./uploads", "'.' and '..' never appear in the paths it is matched against"),
        ("uploads/[keep", "a '[' is never closed by ']'"),
        ("[]", "a '[' is never closed by ']'"),
        ("keep\\", "a '\\' at the end of a name escapes nothing"),
    ])
    func invalidPatternsAreRefusedWithTheReason(pattern: String, reason: String) {
        #expect(ExcludePattern.problem(pattern) == "'\(pattern)' is not a valid exclude pattern: \(reason)")
    }

    @Test func theConfigurationRefusesWhatTheMatcherCannotUse() throws {
        let text =
            "storage:\n  base_path: /s\n  cleanup:\n    exclude:\n      - uploads/keep\n      - '!uploads/keep/x'\n"
        let error = #expect(throws: ConfigError.self) {
            try ConfigurationLoader.load(text: text, file: "c.yaml", environment: [:], currentDirectory: "/")
        }
        #expect(
            error?.description
                == "c.yaml:6: storage.cleanup.exclude: '!uploads/keep/x' is not a valid exclude pattern: "
                + "negation ('!') is not supported; write '\\!' for a name starting with '!'")
    }

    /// A leading slash is the base, as in .gitignore: `/etc` is `<base>/etc`.
    @Test func theConfigurationTakesAnchoredAndFolderPatterns() throws {
        let text =
            "storage:\n  base_path: /s\n  cleanup:\n    exclude: [/etc, uploads/important/, \"**/keep-*\", \"*.keep\"]\n"
        let (configuration, _) = try ConfigurationLoader.load(
            text: text, file: "c.yaml", environment: [:], currentDirectory: "/")
        #expect(configuration.cleanup.exclude == ["/etc", "uploads/important/", "**/keep-*", "*.keep"])
        #expect(try Self.matches("/etc", "etc/passwd") && !Self.matches("/etc", "uploads/etc/passwd"))
    }
}

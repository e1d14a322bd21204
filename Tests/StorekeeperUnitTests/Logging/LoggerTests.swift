import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperSystem

@Suite struct LoggerTests {
    private let directory: TemporaryDirectory
    /// The stderr sink of the loggers under test: a file, so tests can read it.
    private let standardErrorPath: String
    private let standardErrorFile: FileDescriptor
    private var standardError: Int32 { standardErrorFile.rawValue }

    init() throws {
        directory = try TemporaryDirectory()
        standardErrorPath = directory.path("stderr")
        standardErrorFile = try FileDescriptor.open(
            Array(standardErrorPath.utf8), access: .writeOnly, options: [.create, .append], mode: 0o600)
    }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private func logger(_ level: Logger.Level = .debug, style: Logger.Style = .plain, file: String? = nil) throws
        -> Logger
    {
        try Logger(minimumLevel: level, style: style, filePath: file, standardError: standardError)
    }

    @Test func journalLinesCarryTheSdDaemonPriorityAndNoTimestamp() {
        let fields = ["watches": "3", "base": "/srv/media storage"]
        #expect(
            Logger.line(.info, "watching", fields, style: .journal, time: 1_700_000_000)
                == "<6>info watching base=\"/srv/media storage\" watches=3\n")
        #expect(Logger.line(.debug, "m", [:], style: .journal, time: 0) == "<7>debug m\n")
        #expect(Logger.line(.warning, "m", [:], style: .journal, time: 0) == "<4>warning m\n")
        #expect(Logger.line(.error, "m", ["a": "1"], style: .journal, time: 0) == "<3>error m a=1\n")
    }

    @Test func plainLinesStartWithTheUTCTime() {
        #expect(
            Logger.line(.warning, "disk low", ["free": "9%", "a": "x\ny"], style: .plain, time: 1_700_000_000)
                == "2023-11-14T22:13:20Z warning disk low a=\"x\\ny\" free=9%\n")
    }

    @Test func theStyleFollowsJournalStreamOnlyWhenStderrIsThatStream() throws {
        var st = stat()
        #expect(fstat(standardError, &st) == 0)
        let matching = "\(st.st_dev):\(st.st_ino)"
        #expect(
            Logger.Style.detect(environment: ["JOURNAL_STREAM": matching], standardError: standardError) == .journal)
        #expect(
            Logger.Style.detect(
                environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino + 1)"], standardError: standardError)
                == .plain)
        #expect(Logger.Style.detect(environment: ["JOURNAL_STREAM": "junk"], standardError: standardError) == .plain)
        #expect(Logger.Style.detect(environment: [:], standardError: standardError) == .plain)
        #expect(
            Logger.Style.detect(environment: ["STOREKEEPER_LOG_STYLE": "journal"], standardError: standardError)
                == .journal)
        #expect(
            Logger.Style.detect(
                environment: ["STOREKEEPER_LOG_STYLE": "plain", "JOURNAL_STREAM": matching],
                standardError: standardError)
                == .plain)
    }

    @Test func journalStyleWritesPrefixedLinesToStderrAndTimestampedLinesToTheFile() throws {
        let file = directory.path("storekeeper.log")
        let logger = try logger(.info, style: .journal, file: file)
        logger.debug("hidden")
        logger.info("watching", ["watches": "2"])
        logger.error("stopped", ["reason": "base removed"])
        #expect(contents(standardErrorPath) == "<6>info watching watches=2\n<3>error stopped reason=\"base removed\"\n")
        let lines = contents(file).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("Z info watching watches=2"))
        #expect(lines[1].hasSuffix("Z error stopped reason=\"base removed\""))
        #expect(!lines[0].hasPrefix("<"))
    }

    @Test func theLogFileIsCreatedWithMode0640AndAppendedTo() throws {
        let file = directory.path("storekeeper.log")
        try "existing line\n".write(toFile: file, atomically: false, encoding: .utf8)
        chmod(file, 0o600)
        try logger(file: file).info("appended")
        #expect(contents(file).hasPrefix("existing line\n"))
        #expect(contents(file).hasSuffix(" info appended\n"))

        let fresh = directory.path("fresh.log")
        try logger(file: fresh).info("created")
        var st = stat()
        #expect(stat(fresh, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o640 & ~processUmask())
    }

    /// The umask, read without changing it (tests run in parallel).
    private func processUmask() -> mode_t {
        let status = contents("/proc/self/status")
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask:\t0022"
        return mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0o022
    }

    @Test func aLogFileThatCannotBeOpenedIsAnErrorNamingIt() {
        let file = directory.path("missing-folder/storekeeper.log")
        #expect(throws: LogFileError(path: file, errno: ENOENT)) { try logger(file: file) }
        let error = LogFileError(path: file, errno: ENOENT)
        #expect(
            error.description == "cannot open the log file \(file) (monitoring.log_file): No such file or directory")
    }

    @Test func reopenStartsANewFileAtThePathAfterTheOldOneWasMoved() throws {
        let file = directory.path("storekeeper.log")
        let logger = try logger(file: file)
        logger.info("before rotation")
        #expect(rename(file, file + ".1") == 0)
        logger.info("after the move, before the reopen")
        #expect(try logger.reopen())
        logger.info("after the reopen")
        let rotated = contents(file + ".1")
        #expect(rotated.contains("before rotation"))
        #expect(rotated.contains("after the move, before the reopen"))
        #expect(!rotated.contains("after the reopen"))
        #expect(contents(file).hasSuffix(" info after the reopen\n"))
        #expect(contents(file).split(separator: "\n").count == 1)
    }

    @Test func aFailedReopenKeepsWritingToTheOldFile() throws {
        try FileManager.default.createDirectory(atPath: directory.path("logs"), withIntermediateDirectories: false)
        let file = directory.path("logs/storekeeper.log")
        let logger = try logger(file: file)
        #expect(rename(directory.path("logs"), directory.path("moved")) == 0)
        #expect(throws: LogFileError(path: file, errno: ENOENT)) { try logger.reopen() }
        logger.info("still logged")
        #expect(contents(directory.path("moved/storekeeper.log")).hasSuffix(" info still logged\n"))
    }

    @Test func withoutALogFileReopenDoesNothing() throws {
        #expect(try logger().reopen() == false)
        #expect(Logger(minimumLevel: .info).filePath == nil)
    }

    @Test func concurrentLinesNeverInterleave() async throws {
        let file = directory.path("storekeeper.log")
        let logger = try logger(file: file)
        let value = String(repeating: "v", count: 300)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 {
                        logger.info("line", ["index": String(index), "task": String(task), "value": value])
                    }
                }
            }
        }
        for output in [contents(file), contents(standardErrorPath)] {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 1600)
            #expect(lines.allSatisfy { $0.contains(" info line index=") && $0.hasSuffix("value=" + value) })
        }
    }

    @Test func makeUsesTheConfiguredLevelAndLogFile() throws {
        let file = directory.path("configured.log")
        let text = """
            storage:
              base_path: \(directory.path("storage"))
              monitoring:
                log_level: WARNING
                log_file: \(file)
            """
        let (configuration, _) = try ConfigurationLoader.load(
            text: text, file: "c.yaml", environment: [:], currentDirectory: directory.path)
        let logger = try Logger.make(configuration: configuration, environment: ["STOREKEEPER_LOG_STYLE": "journal"])
        #expect(logger.minimumLevel == .warning)
        #expect(logger.style == .journal)
        #expect(logger.filePath == file)
        #expect(
            try Logger.make(configuration: configuration, environment: [:], minimumLevel: .error).minimumLevel == .error
        )

        var unwritable = configuration
        unwritable.monitoring.logFile = directory.path("missing/x.log")
        #expect(throws: LogFileError.self) { try Logger.make(configuration: unwritable, environment: [:]) }
        let optional = try Logger.make(configuration: unwritable, environment: [:], logFileRequired: false)
        #expect(optional.filePath == nil)
    }
}

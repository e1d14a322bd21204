import Foundation
import Glibc
import Testing

/// The shipped units under a real systemd: a minimal Debian booted in a
/// container (`debootstrap`, `systemd-nspawn -b`), the daemon installed as
/// `scripts/install.sh` would, then started, reloaded, killed and stopped
/// with `systemctl`. The root filesystem is made once and kept in
/// `.build-systemd/` (gitignored), since debootstrap takes a minute or two.
@Suite(.serialized) struct SystemdUnitTests {
    static let repository = OperationsTests.repository
    static let rootDirectory = repository + "/.build-systemd/root"

    static var canRun: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/debootstrap")
    }

    /// The Debian mirror apt already uses here.
    static var mirror: String {
        let sources = (try? String(contentsOfFile: "/etc/apt/sources.list.d/debian.sources", encoding: .utf8)) ?? ""
        let line = sources.split(separator: "\n").first { $0.hasPrefix("URIs:") }
        return line.map { $0.dropFirst("URIs:".count).trimmingCharacters(in: .whitespaces) } ?? "http://deb.debian.org/debian"
    }

    static func bash(_ script: String) throws -> StorekeeperBinary.Result {
        try Shell.run(["bash", "-c", "set -eo pipefail\n" + script], in: "/")
    }

    /// A booted container; `run` executes a command inside it as root.
    final class Container {
        let nspawn = Process()
        private(set) var initPID: Int32 = 0

        init(root: String) throws {
            nspawn.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-nspawn")
            // The Swift runtime the binary links against comes from the toolchain.
            nspawn.arguments = ["-D", root, "--register=no", "--keep-unit", "--bind-ro=/opt/swift", "-b"]
            nspawn.standardInput = FileHandle.nullDevice
            nspawn.standardOutput = FileHandle.nullDevice
            nspawn.standardError = FileHandle.nullDevice
            try nspawn.run()
            try waitFor("the container's init", timeout: 60) {
                let children = try Shell.run(["pgrep", "-P", String(nspawn.processIdentifier)], in: "/").stdout
                initPID = Int32(children.split(separator: "\n").first ?? "") ?? 0
                return initPID > 0
            }
            try waitFor("systemd to finish booting", timeout: 120) {
                let state = try run("systemctl is-system-running || true").stdout
                return state.hasPrefix("running") || state.hasPrefix("degraded")
            }
        }

        @discardableResult
        func run(_ command: String) throws -> StorekeeperBinary.Result {
            try Shell.run(["nsenter", "-t", String(initPID), "-a", "/bin/bash", "-c", command], in: "/")
        }

        deinit {
            _ = try? run("systemctl poweroff")
            let deadline = Date().addingTimeInterval(30)
            while nspawn.isRunning && Date() < deadline { usleep(100_000) }
            if nspawn.isRunning { kill(nspawn.processIdentifier, SIGKILL) }
            nspawn.waitUntilExit()
        }
    }

    @Test(.enabled(if: canRun, "needs root, debootstrap and systemd-nspawn (scripts/test installs them)"))
    func theDaemonStartsReloadsRestartsAndStopsUnderSystemd() throws {
        // procps brings /usr/bin/kill, which the unit's ExecReload runs, as on any standard Debian.
        if !FileManager.default.fileExists(atPath: Self.rootDirectory + "/usr/bin/kill") {
            let made = try Self.bash(
                """
                rm -rf '\(Self.rootDirectory).partial' '\(Self.rootDirectory)'
                mkdir -p '\(Self.rootDirectory).partial'
                debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libsqlite3-0,procps bookworm \
                  '\(Self.rootDirectory).partial' '\(Self.mirror)' >/dev/null
                mv '\(Self.rootDirectory).partial' '\(Self.rootDirectory)'
                """)
            try #require(made.status == 0, "debootstrap failed: \(made.stderr)")
        }
        let root = Self.rootDirectory
        let storage = "/opt/services/media-analysis/storage"
        let installed = try Self.bash(
            """
            install -m 0755 '\(StorekeeperBinary.path)' '\(root)/usr/local/bin/storekeeper'
            install -D -m 0644 '\(Self.repository)/config/systemd/storekeeper.service' '\(root)/etc/systemd/system/storekeeper.service'
            mkdir -p '\(root)/etc/storekeeper'
            printf 'storage:\\n  base_path: \(storage)\\n  retention:\\n    temp: 1h\\n' > '\(root)/etc/storekeeper/storekeeper.yaml'
            """)
        try #require(installed.status == 0, "\(installed.stderr)")

        let container = try Container(root: root)
        let setup = try container.run(
            """
            set -e
            id media >/dev/null 2>&1 || useradd --system --no-create-home media
            mkdir -p \(storage) && chown media:media \(storage)
            runuser -u media -- /usr/local/bin/storekeeper init --config /etc/storekeeper/storekeeper.yaml >/dev/null
            systemctl daemon-reload
            systemctl start storekeeper
            """)
        try #require(setup.status == 0, "\(setup.stdout)\(setup.stderr)")
        func journal() -> String { (try? container.run("journalctl -u storekeeper --no-pager -o cat").stdout) ?? "" }
        func mainPID() throws -> String {
            try container.run("systemctl show -p MainPID --value storekeeper").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // Type=notify: `systemctl start` returned after READY=1, so it is active and watching.
        #expect(try container.run("systemctl is-active storekeeper").stdout == "active\n", "\(journal())")
        #expect(try container.run("systemctl show -p StatusText --value storekeeper").stdout.hasPrefix("watching"))

        // systemctl reload: SIGHUP reloads the configuration.
        try container.run("sed -i 's/temp: 1h/temp: 2h/' /etc/storekeeper/storekeeper.yaml && systemctl reload storekeeper")
        try waitFor("the reload in the journal", timeout: 60) { journal().contains("configuration reloaded") }
        try waitFor("the daemon to run again after the reload", timeout: 60) {
            journal().components(separatedBy: "configuration reloaded").last?.contains("watching") == true
        }

        // A crash is restarted (Restart=on-failure).
        let first = try mainPID()
        try container.run("kill -9 \(first)")
        try waitFor("systemd to restart the daemon", timeout: 60) {
            let now = try mainPID()
            let active = try container.run("systemctl is-active storekeeper").stdout == "active\n"
            return now != first && now != "0" && active
        }

        // systemctl stop: SIGTERM, a clean exit well within TimeoutStopSec.
        let started = Date()
        #expect(try container.run("systemctl stop storekeeper").status == 0)
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(try container.run("systemctl show -p Result --value storekeeper").stdout == "success\n", "\(journal())")
        #expect(journal().contains("stopped"))
        let verify = try container.run(
            "runuser -u media -- /usr/local/bin/storekeeper verify --config /etc/storekeeper/storekeeper.yaml")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}

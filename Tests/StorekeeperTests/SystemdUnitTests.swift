import Foundation
import Glibc
import TestSupport
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
        return line.map { $0.dropFirst("URIs:".count).trimmingCharacters(in: .whitespaces) }
            ?? "http://deb.debian.org/debian"
    }

    static func bash(_ script: String) throws -> Shell.Result {
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
            // The child of nspawn named systemd: before it execs, nspawn's first
            // child is a short-lived helper, and entering that one's namespaces fails.
            try waitFor("the container's init", timeout: 60) {
                let children = try Shell.run(
                    ["pgrep", "-x", "-P", String(nspawn.processIdentifier), "systemd"], in: "/"
                )
                .stdout
                initPID = Int32(children.split(separator: "\n").first ?? "") ?? 0
                return initPID > 0
            }
            // Generous: under the whole suite's load (and the mounts other tests make,
            // which the container's systemd sees come and go) a boot has taken minutes.
            var state = ""
            do {
                try waitFor("systemd to finish booting", timeout: 300) {
                    state = try run("systemctl is-system-running || true").stdout
                    return state.hasPrefix("running") || state.hasPrefix("degraded")
                }
            } catch {
                let jobs = (try? run("systemctl list-jobs --no-pager").stdout) ?? ""
                throw DaemonProcess.DaemonError.timedOut("systemd still \(state) after 300 s; its jobs:\n\(jobs)")
            }
        }

        @discardableResult
        func run(_ command: String) throws -> Shell.Result {
            try Shell.run(["nsenter", "-t", String(initPID), "-a", "/bin/bash", "-c", command], in: "/")
        }

        func journal() -> String { (try? run("journalctl -u storekeeper --no-pager -o cat").stdout) ?? "" }

        func mainPID() throws -> String {
            try run("systemctl show -p MainPID --value storekeeper").stdout.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }

        deinit {
            _ = try? run("systemctl poweroff")
            try? waitFor("the container to power off", timeout: 30) { !nspawn.isRunning }
            if nspawn.isRunning { kill(nspawn.processIdentifier, SIGKILL) }
            nspawn.waitUntilExit()
        }
    }

    @Test(.enabled(if: canRun, "needs root, debootstrap and systemd-nspawn (scripts/test installs them)"))
    func theDaemonStartsReloadsRestartsAndStopsUnderSystemd() throws {
        try Self.makeRootFilesystem()
        let root = Self.rootDirectory
        let storage = "/opt/services/media-analysis/storage"
        try Self.install(into: root, storage: storage)

        let container = try Container(root: root)
        let setup = try container.run(
            """
            set -e
            id media >/dev/null 2>&1 || useradd --system --no-create-home media
            mkdir -p \(storage) /var/lib/outside && chown media:media \(storage) /var/lib/outside
            runuser -u media -- /usr/local/bin/storekeeper init --config /etc/storekeeper/storekeeper.yaml >/dev/null
            systemctl daemon-reload
            systemctl start storekeeper
            """)
        try #require(setup.status == 0, "\(setup.stdout)\(setup.stderr)")

        // Type=notify: `systemctl start` returned after READY=1, so it is active and watching.
        #expect(try container.run("systemctl is-active storekeeper").stdout == "active\n", "\(container.journal())")
        #expect(try container.run("systemctl show -p StatusText --value storekeeper").stdout.hasPrefix("watching"))

        // The hardening: the daemon writes its tree (the health file) and nothing else.
        try waitFor("the sandbox to refuse the textfile", timeout: 60) {
            container.journal().contains("cannot write the metrics textfile")
                && container.journal().contains("Read-only file system")
        }
        #expect(try container.run("test -e /var/lib/outside/storekeeper.prom").status != 0)
        #expect(try container.run("test -s \(storage)/.storekeeper/health.json").status == 0)

        try Self.expectTheTimerReloadAndRestart(container)

        // systemctl stop: SIGTERM, a clean exit well within TimeoutStopSec.
        let started = Date()
        #expect(try container.run("systemctl stop storekeeper").status == 0)
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(
            try container.run("systemctl show -p Result --value storekeeper").stdout == "success\n",
            "\(container.journal())")
        #expect(container.journal().contains("stopped"))
        let verify = try container.run(
            "runuser -u media -- /usr/local/bin/storekeeper verify --config /etc/storekeeper/storekeeper.yaml")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// A minimal Debian in `rootDirectory`, made once.
    static func makeRootFilesystem() throws {
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
    }

    /// The binary, the units, cleanup.sh and a config, where scripts/install.sh puts them.
    static func install(into root: String, storage: String) throws {
        let installed = try Self.bash(
            """
            install -m 0755 '\(StorekeeperBinary.path)' '\(root)/usr/local/bin/storekeeper'
            for unit in storekeeper.service storekeeper-clean.service storekeeper-clean.timer; do
              install -D -m 0644 "\(Self.repository)/config/systemd/$unit" "\(root)/etc/systemd/system/$unit"
            done
            install -D -m 0755 '\(Self.repository)/scripts/cleanup.sh' '\(root)/usr/local/lib/storekeeper/cleanup.sh'
            mkdir -p '\(root)/etc/storekeeper'
            # A textfile outside the tree, in a folder the daemon's user owns:
            # only the unit's sandbox (ProtectSystem=strict) keeps it from writing there.
            printf 'storage:\\n  base_path: \(storage)\\n  retention:\\n    temp: 1h\\n  monitoring:\\n    textfile_path: /var/lib/outside/storekeeper.prom\\n' \
              > '\(root)/etc/storekeeper/storekeeper.yaml'
            """)
        try #require(installed.status == 0, "\(installed.stderr)")
    }

    /// The fallback timer catches up a missed run, `systemctl reload` reloads,
    /// and a crashed daemon is restarted.
    static func expectTheTimerReloadAndRestart(_ container: Container) throws {
        // The fallback timer catches up a run missed while the machine was off (Persistent=true).
        try container.run(
            """
            mkdir -p /var/lib/systemd/timers
            touch -d '3 days ago' /var/lib/systemd/timers/stamp-storekeeper-clean.timer
            systemctl start storekeeper-clean.timer
            """)
        try waitFor("the missed fallback run", timeout: 60) {
            let result = try container.run(
                "systemctl show -p Result,ExecMainExitTimestampMonotonic --value storekeeper-clean.service")
            let lines = result.stdout.split(separator: "\n")
            return lines.first == "success" && (lines.last.flatMap { Int($0) } ?? 0) > 0
        }

        // systemctl reload: SIGHUP reloads the configuration.
        try container.run(
            "sed -i 's/temp: 1h/temp: 2h/' /etc/storekeeper/storekeeper.yaml && systemctl reload storekeeper")
        try waitFor("the reload in the journal", timeout: 60) { container.journal().contains("configuration reloaded") }
        try waitFor("the daemon to run again after the reload", timeout: 60) {
            container.journal().components(separatedBy: "configuration reloaded").last?.contains("watching") == true
        }

        // A crash is restarted (Restart=on-failure).
        let first = try container.mainPID()
        try container.run("kill -9 \(first)")
        try waitFor("systemd to restart the daemon", timeout: 60) {
            let now = try container.mainPID()
            let active = try container.run("systemctl is-active storekeeper").stdout == "active\n"
            return now != first && now != "0" && active
        }
    }
}

// earshot-bench replicas: the HTTP coordinator on SQLite, on PostgreSQL, and as two replicas on
// one PostgreSQL database, with the same synthetic engine and phases as the coordinator
// benchmark. See bench/README.md.

import EarshotCore
import EarshotStore
import Foundation
import Logging

struct ReplicaOptions {
    var common = Options()
    var database: String?

    static let usage = """
        usage: earshot-bench replicas [--database postgres://…] [coordinator options]
          --database URL      the PostgreSQL cluster (default: EARSHOT_TEST_DATABASE_URL, which
                              scripts/with-test-postgres.sh sets); each run gets a new database on it
        and --nodes, --jobs, --paced-jobs, --rate, --wait, --docs, --no-docs as for the coordinator benchmark.
        """

    static func parse(_ arguments: [String]) throws -> ReplicaOptions {
        var options = ReplicaOptions()
        var rest: [String] = []
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--database" {
                guard let value = iterator.next() else { throw UsageError("--database needs a value") }
                options.database = value
            } else if argument == "-h" || argument == "--help" {
                print(usage)
                exit(0)
            } else {
                rest.append(argument)
            }
        }
        options.common = try Options.parse(rest)
        if options.database == nil { options.database = ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_URL"] }
        return options
    }
}

/// One coordinator set-up measured by the replicas benchmark.
enum ReplicaSetup: CaseIterable {
    case sqlite, postgresOne, postgresTwo

    var label: String {
        switch self {
        case .sqlite: "SQLite, 1 server"
        case .postgresOne: "PostgreSQL, 1 server"
        case .postgresTwo: "PostgreSQL, 2 replicas"
        }
    }
}

func runReplicas(_ options: ReplicaOptions) async throws {
    let buildConfiguration = benchBuildConfiguration()
    guard let database = options.database else {
        throw UsageError("no PostgreSQL cluster: pass --database or run under scripts/with-test-postgres.sh --durable")
    }
    let cluster = try PostgresDatabaseURL(parsing: database)
    let parent = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        .appendingPathComponent("earshot-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    let logger = Logger(label: "earshot-bench-server") { _ in DiscardingLogHandler(logLevel: .info) }
    let machine = MachineInfo.current(dataDirectory: parent)
    log("earshot-bench replicas: \(SyntheticEngine.label)")
    log("machine: \(machine.summary); load average at start: \(machine.loadAverage); build: \(buildConfiguration)")

    var results: [ReplicaResult] = []
    for nodes in options.common.nodeCounts {
        for setup in ReplicaSetup.allCases {
            log("N=\(nodes): \(setup.label)…")
            let directory = parent.appendingPathComponent("\(setup)-n\(nodes)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let stores: [any Store]
            switch setup {
            case .sqlite:
                stores = [try makeStore(under: directory, label: "sqlite").1]
            case .postgresOne, .postgresTwo:
                let name = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                let url = try await PostgresAdmin.createDatabase(name, on: cluster)
                var replicas: [any Store] = []
                for _ in 0..<(setup == .postgresTwo ? 2 : 1) {
                    replicas.append(try await PostgresStore(url: url, logger: logger))
                }
                stores = replicas
            }
            let path = try await HTTPPath(
                replicas: stores, directory: directory, nodes: nodes, listeners: nil, waitSeconds: options.common.waitSeconds, logger: logger
            )
            let measured: (PhaseResult, PhaseResult, Double)
            do {
                measured = try await measure(path, nodes: nodes, options: options.common)
            } catch {
                await path.shutdown()
                throw error
            }
            await path.shutdown()
            let result = ReplicaResult(
                nodes: nodes, setup: setup,
                measurement: Measurement(saturated: measured.0, paced: measured.1, pacedArrivalSeconds: measured.2, listeners: stores.count)
            )
            log("  saturated \(format(measured.0.cyclesPerSecond, 0)) cycles/s; paced p50 \(format(measured.1.percentileMs(50), 2)) ms, p99 \(format(measured.1.percentileMs(99), 2)) ms")
            results.append(result)
        }
    }
    let report = ReplicaReport(options: options.common, machine: machine, build: buildConfiguration, results: results)
    print(report.table())
    if options.common.writeDocs && buildConfiguration == "release" {
        try DocsSection.replace(start: ReplicaReport.start, end: ReplicaReport.end, with: report.section(), in: options.common.docsPath)
        log("updated \(options.common.docsPath)")
    }
}

struct ReplicaResult {
    var nodes: Int
    var setup: ReplicaSetup
    var measurement: Measurement
}

struct ReplicaReport {
    static let start = "<!-- bench:replicas:start -->"
    static let end = "<!-- bench:replicas:end -->"

    let options: Options
    let machine: MachineInfo
    let build: String
    let results: [ReplicaResult]

    private func ratio(_ a: Double, _ b: Double) -> String { b > 0 && a.isFinite ? format(a / b, 2) : "n/a" }

    private func cycles(_ nodes: Int, _ setup: ReplicaSetup) -> Double {
        results.first { $0.nodes == nodes && $0.setup == setup }?.measurement.saturated.cyclesPerSecond ?? .nan
    }

    private func p99(_ nodes: Int, _ setup: ReplicaSetup) -> Double {
        results.first { $0.nodes == nodes && $0.setup == setup }?.measurement.paced.percentileMs(99) ?? .nan
    }

    var rows: [String] {
        var lines = [
            "| N | Set-up | Saturated cycles/s | Saturated latency p50 / p99 (ms) | Paced latency p50 / p99 / max (ms) |",
            "|---:|---|---:|---:|---:|",
        ]
        for result in results {
            let m = result.measurement
            let maxMs = (m.paced.latencies.last?.seconds ?? .nan) * 1000
            lines.append(
                "| \(result.nodes) | \(result.setup.label) | \(format(m.saturated.cyclesPerSecond, 0)) | "
                    + "\(format(m.saturated.percentileMs(50), 1)) / \(format(m.saturated.percentileMs(99), 1)) | "
                    + "\(format(m.paced.percentileMs(50), 2)) / \(format(m.paced.percentileMs(99), 2)) / \(format(maxMs, 1)) |"
            )
        }
        return lines
    }

    var ratioRows: [String] {
        var lines = [
            "| N | Cycles/s PostgreSQL / SQLite (1 server) | Cycles/s 2 replicas / 1 (PostgreSQL) | Paced p99 PostgreSQL / SQLite | Paced p99 2 replicas / 1 |",
            "|---:|---:|---:|---:|---:|",
        ]
        for nodes in options.nodeCounts {
            lines.append(
                "| \(nodes) | \(ratio(cycles(nodes, .postgresOne), cycles(nodes, .sqlite))) | \(ratio(cycles(nodes, .postgresTwo), cycles(nodes, .postgresOne))) | "
                    + "\(ratio(p99(nodes, .postgresOne), p99(nodes, .sqlite))) | \(ratio(p99(nodes, .postgresTwo), p99(nodes, .postgresOne))) |"
            )
        }
        return lines
    }

    func table() -> String {
        (["", "Replicas benchmark — \(SyntheticEngine.label)", ""] + rows + [""] + ratioRows).joined(separator: "\n")
    }

    func section(date: Date = Date()) -> String {
        ([
            Self.start,
            "## Replicas: SQLite vs PostgreSQL, one server vs two",
            "",
            "- Date: \(DocsSection.utcDate(date))",
            "- Machine: \(machine.summary); load average at start \(machine.loadAverage)",
            "- Build: \(build); PostgreSQL: a local cluster from Debian's packages started by `scripts/with-test-postgres.sh --durable` (fsync on, default settings otherwise), on loopback; SQLite: WAL, `synchronous = FULL`, on \(machine.filesystem).",
            "- Engine: **synthetic** (as in the coordinator benchmark): claimed jobs are answered at once with a fixed transcript; these figures are coordinator and database cost only.",
            "- Same harness and phases as the coordinator benchmark's HTTP path (\(options.jobs) saturated jobs, half pre-filled; \(options.pacedJobs) paced jobs at \(format(options.rate, 0)) jobs/s). **2 replicas**: two store instances (two connection pools, as two processes have), two routers on two loopback addresses, each with its own work signal woken by the other's events through `LISTEN`/`NOTIFY` (`ReplicaWake`, as `serve` runs it); node i talks to replica i mod 2 and jobs are enqueued alternately through both. Everything, PostgreSQL included, shares the machine's \(machine.cpus) CPUs, so a second replica adds no hardware here: the figure shows what coordinating through one database costs, not what a second machine would add.",
            "",
        ] + rows + [""] + ratioRows + [
            "",
            "Reproduce with `make bench-replicas` (see `bench/README.md`).",
            Self.end,
        ]).joined(separator: "\n")
    }
}

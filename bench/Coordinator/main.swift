// earshot-bench: the coordinator alone, with N simulated nodes and a synthetic engine.
//
// For each N it measures two paths on a fresh SQLite store each:
//   baseline  N tasks calling the store directly (claimNext → complete), as built-in workers do;
//   http      the server's router over loopback HTTP, N registered nodes each looping
//             NodeClient.claim (long-poll) → NodeClient.complete.
// Each path runs two phases: "saturated" (half the jobs pre-filled, the rest produced as fast as
// possible; gives cycles/s) and "paced" (jobs produced at a fixed rate while the nodes idle in
// their waits; gives enqueue→claim latency without a backlog). See bench/README.md.

import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Logging

struct Options {
    var nodeCounts = [1, 8, 64]
    var slotCounts = [1, 8, 32]
    var jobs = 2000
    var pacedJobs = 500
    var rate = 50.0
    var waitSeconds = 5
    var listeners: Int?
    var dataDirectory: String?
    var writeDocs = true
    var keepData = false
    var docsPath = "docs/benchmarks.md"
    /// Whether HTTP nodes take their next job with each delivery (as `earshot node start` does).
    var claimWithDelivery = true

    static let usage = """
        usage: earshot-bench [options]
          --nodes LIST        simulated node counts, comma-separated (default 1,8,64)
          --slots LIST        slots per node, comma-separated (default 1,8,32); above 1 a node claims
                              and completes that many jobs per request
          --jobs N            jobs per saturated phase (default 2000; half pre-filled)
          --paced-jobs N      jobs per paced phase (default 500)
          --rate R            paced arrival rate, jobs/s (default 50; keep it below capacity)
          --wait S            claim long-poll / idle wait, seconds (default 5)
          --listeners K       HTTP listeners (127.0.0.1…K); default 1
          --data-dir DIR      where the temporary stores go (default: system temp dir)
          --docs PATH         results section to update (default docs/benchmarks.md)
          --no-docs           print results only
          --keep-data         keep the stores
          --deliver-only      HTTP nodes deliver without taking the next job in the same request
                              (the protocol before 2026-12-07's change), for comparison; implies --no-docs
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        func number<T: LosslessStringConvertible & Comparable & Numeric>(_ flag: String, _: T.Type) throws -> T {
            let text = try value(flag)
            guard let parsed = T(text), parsed > 0 else { throw UsageError("\(flag) must be a positive number, got \(text)") }
            return parsed
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--nodes":
                let text = try value(argument)
                let counts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw UsageError("--nodes wants e.g. 1,8,64, got \(text)") }
                options.nodeCounts = counts
            case "--slots":
                let text = try value(argument)
                let counts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }) else { throw UsageError("--slots wants e.g. 1,8 (each 1...64), got \(text)") }
                options.slotCounts = counts
            case "--jobs": options.jobs = try number(argument, Int.self)
            case "--paced-jobs": options.pacedJobs = try number(argument, Int.self)
            case "--rate": options.rate = try number(argument, Double.self)
            case "--wait": options.waitSeconds = try number(argument, Int.self)
            case "--listeners": options.listeners = try number(argument, Int.self)
            case "--data-dir": options.dataDirectory = try value(argument)
            case "--docs": options.docsPath = try value(argument)
            case "--no-docs": options.writeDocs = false
            case "--keep-data": options.keepData = true
            case "--deliver-only":
                options.claimWithDelivery = false
                options.writeDocs = false
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw UsageError("unknown argument \(argument)")
            }
        }
        return options
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Measurement {
    var saturated: PhaseResult
    var paced: PhaseResult
    var pacedArrivalSeconds: Double
    var listeners: Int
    /// HTTP only: median `GET /api/v1/node` through `NodeClient`, one request at a time.
    var roundTrip: Duration?
    /// HTTP only: median empty `POST /api/v1/node/claim?wait=0`, one request at a time.
    var emptyClaim: Duration?
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Runs the saturated then the paced phase with `nodes` simulated nodes on `path`.
func measure(_ path: any CoordinatorPath, nodes: Int, options: Options) async throws -> (PhaseResult, PhaseResult, Double) {
    let tracker = PhaseTracker()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        // Saturated: half pre-filled, the rest produced as fast as one producer can insert.
        tracker.begin(target: options.jobs)
        let prefill = options.jobs / 2
        for _ in 0..<prefill { try await path.enqueue(tracker) }
        _ = tracker.startClock()
        for index in 0..<nodes {
            group.addTask {
                do {
                    try await path.runNode(index, tracker: tracker)
                } catch {
                    if !Task.isCancelled { tracker.fail(error) }
                }
            }
        }
        for _ in prefill..<options.jobs { try await path.enqueue(tracker) }
        try await tracker.waitUntilDone()
        let saturated = tracker.result()

        // Paced: the nodes are idle in their waits; jobs arrive on a fixed schedule.
        tracker.begin(target: options.pacedJobs)
        try await Task.sleep(for: .milliseconds(300))
        let start = tracker.startClock()
        for index in 0..<options.pacedJobs {
            try await Task.sleep(until: start + .seconds(Double(index) / options.rate), clock: .continuous)
            try await path.enqueue(tracker)
        }
        let arrival = (ContinuousClock.now - start).seconds
        try await tracker.waitUntilDone()
        let paced = tracker.result()

        group.cancelAll()
        try await group.waitForAll()
        return (saturated, paced, arrival)
    }
}

func run(_ options: Options) async throws {
    let buildConfiguration = benchBuildConfiguration()
    let parent = URL(fileURLWithPath: options.dataDirectory ?? NSTemporaryDirectory(), isDirectory: true)
        .appendingPathComponent("earshot-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { if !options.keepData { try? FileManager.default.removeItem(at: parent) } }

    var serverLogger = Logger(label: "earshot-bench-server") { _ in DiscardingLogHandler(logLevel: .info) }
    serverLogger.logLevel = .info
    let machine = MachineInfo.current(dataDirectory: parent)
    log("earshot-bench: \(SyntheticEngine.label)")
    log("machine: \(machine.summary); load average at start: \(machine.loadAverage); build: \(buildConfiguration)")
    log("data: \(parent.path) (\(machine.filesystem))")

    var results: [Report.Row] = []
    for nodes in options.nodeCounts {
        for slots in options.slotCounts {
            let label = "N=\(nodes)" + (slots > 1 ? " × \(slots) slots" : "")
            log("\(label): baseline (store alone)…")
            let (baseDirectory, baseStore) = try makeStore(under: parent, label: "store-n\(nodes)-s\(slots)")
            let storePath = try StorePath(store: baseStore, directory: baseDirectory, waitSeconds: options.waitSeconds, slots: slots)
            let (bs, bp, ba) = try await measure(storePath, nodes: nodes, options: options)
            let baseline = Measurement(saturated: bs, paced: bp, pacedArrivalSeconds: ba, listeners: 0)
            log("  saturated \(format(bs.cyclesPerSecond, 0)) cycles/s; paced p50 \(format(bp.percentileMs(50), 2)) ms, p99 \(format(bp.percentileMs(99), 2)) ms")

            log("\(label): HTTP coordinator…")
            let (httpDirectory, httpStore) = try makeStore(under: parent, label: "http-n\(nodes)-s\(slots)")
            let httpPath = try await HTTPPath(
                replicas: [httpStore], directory: httpDirectory, nodes: nodes, slots: slots, listeners: options.listeners,
                waitSeconds: options.waitSeconds, claimWithDelivery: options.claimWithDelivery, logger: serverLogger
            )
            let measured: (PhaseResult, PhaseResult, Double)
            let roundTrip: Duration
            let emptyClaim: Duration
            do {
                roundTrip = try await httpPath.medianRoundTrip()
                emptyClaim = try await httpPath.medianEmptyClaim()
                measured = try await measure(httpPath, nodes: nodes, options: options)
            } catch {
                await httpPath.shutdown()
                throw error
            }
            let listeners = httpPath.listenerCount
            await httpPath.shutdown()
            var http = Measurement(saturated: measured.0, paced: measured.1, pacedArrivalSeconds: measured.2, listeners: listeners)
            http.roundTrip = roundTrip
            http.emptyClaim = emptyClaim
            log("  idle round trip GET \(format((roundTrip.seconds) * 1000, 2)) ms, empty claim POST \(format((emptyClaim.seconds) * 1000, 2)) ms; saturated \(format(http.saturated.cyclesPerSecond, 0)) cycles/s; paced p50 \(format(http.paced.percentileMs(50), 2)) ms, p99 \(format(http.paced.percentileMs(99), 2)) ms")
            results.append(Report.Row(nodes: nodes, slots: slots, baseline: baseline, http: http))
        }
    }

    let report = Report(options: options, machine: machine, build: buildConfiguration, results: results)
    print(report.table())
    if options.writeDocs && buildConfiguration == "release" {
        try report.writeSection(to: options.docsPath)
        log("updated \(options.docsPath)")
    }
}

do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "micro" {
        try await runMicro(Array(arguments.dropFirst()))
    } else if arguments.first == "events" {
        try await runFanout(try FanoutOptions.parse(Array(arguments.dropFirst())))
    } else if arguments.first == "diarization" {
        try await runDiarizationBench(try DiarizationBenchOptions.parse(Array(arguments.dropFirst())))
    } else if arguments.first == "replicas" {
        try await runReplicas(try ReplicaOptions.parse(Array(arguments.dropFirst())))
    } else {
        try await run(try Options.parse(arguments))
    }
} catch let error as UsageError {
    log("earshot-bench: \(error)\n\(Options.usage)")
    exit(2)
} catch {
    log("earshot-bench: failed: \(error)")
    exit(1)
}

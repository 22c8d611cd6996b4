import Foundation

func format(_ value: Double, _ decimals: Int) -> String {
    value.isFinite ? String(format: "%.\(decimals)f", value) : "n/a"
}

struct MachineInfo {
    var cpus: Int
    var cpuModel: String
    var kernel: String
    var loadAverage: String
    var filesystem: String

    var summary: String { "\(cpus) CPUs (nproc \(cpus)), \(cpuModel), \(kernel)" }

    static func current(dataDirectory: URL) -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
            .split(separator: " ").prefix(3).joined(separator: " ")
        let release = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return MachineInfo(
            cpus: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model,
            kernel: release.isEmpty ? ProcessInfo.processInfo.operatingSystemVersionString : "Linux \(release)",
            loadAverage: load.isEmpty ? "unknown" : load, filesystem: filesystemType(dataDirectory.path)
        )
    }

    /// `stat -f` names the file system the stores live on: fsync costs differ wildly (ext4 vs tmpfs).
    static func filesystemType(_ path: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stat")
        process.arguments = ["-f", "-c", "%T", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown file system" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? "unknown file system" : name
    }
}

struct Report {
    static let start = "<!-- bench:coordinator:start -->"
    static let end = "<!-- bench:coordinator:end -->"
    static let targetCycles = 2000.0
    static let targetP99Ms = 20.0

    let options: Options
    let machine: MachineInfo
    let build: String
    let results: [Row]

    /// One node count and slot count: the store alone and the HTTP coordinator.
    struct Row {
        var nodes: Int
        var slots: Int
        var baseline: Measurement
        var http: Measurement
    }

    private func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? format(a / b, 2) : "n/a" }

    private func met(_ ok: Bool) -> String { ok ? "met" : "NOT met" }

    var rows: [String] {
        var lines = [
            "| N | Slots | Path | Saturated cycles/s | Saturated latency p50 / p99 (ms) | Paced rate (jobs/s) | Paced latency p50 / p99 / max (ms) |",
            "|---:|---:|---|---:|---:|---:|---:|",
        ]
        for result in results {
            for (name, m) in [("baseline: store alone", result.baseline), ("HTTP coordinator", result.http)] {
                let pacedRate = Double(m.paced.jobs) / max(m.pacedArrivalSeconds, 1e-9)
                let maxMs = (m.paced.latencies.last?.seconds ?? .nan) * 1000
                lines.append(
                    "| \(result.nodes) | \(result.slots) | \(name) | \(format(m.saturated.cyclesPerSecond, 0)) | "
                        + "\(format(m.saturated.percentileMs(50), 1)) / \(format(m.saturated.percentileMs(99), 1)) | "
                        + "\(format(pacedRate, 0)) | \(format(m.paced.percentileMs(50), 2)) / \(format(m.paced.percentileMs(99), 2)) / \(format(maxMs, 1)) |"
                )
            }
        }
        return lines
    }

    var ratioRows: [String] {
        var lines = [
            "| N | Slots | HTTP listeners | Idle GET / empty claim POST (ms) | Cycles/s HTTP / baseline | Paced p99 HTTP / baseline | HTTP cycles/s ≥ \(Int(Self.targetCycles)) | HTTP paced p99 < \(Int(Self.targetP99Ms)) ms |",
            "|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for result in results {
            let cycles = result.http.saturated.cyclesPerSecond
            let p99 = result.http.paced.percentileMs(99)
            lines.append(
                "| \(result.nodes) | \(result.slots) | \(result.http.listeners) | \(format((result.http.roundTrip?.seconds ?? .nan) * 1000, 2)) / \(format((result.http.emptyClaim?.seconds ?? .nan) * 1000, 2)) | \(ratio(cycles, result.baseline.saturated.cyclesPerSecond)) | "
                    + "\(ratio(p99, result.baseline.paced.percentileMs(99))) | "
                    + "\(format(cycles, 0)) (\(met(cycles >= Self.targetCycles))) | \(format(p99, 2)) ms (\(met(p99 < Self.targetP99Ms))) |"
            )
        }
        return lines
    }

    func table() -> String {
        (["", "Coordinator benchmark — \(SyntheticEngine.label)", ""] + rows + [""] + ratioRows).joined(separator: "\n")
    }

    func section(date: Date = Date()) -> String {
        let lines: [String] = [
            Self.start,
            "## Coordinator: claim+complete cycles with a synthetic engine",
            "",
            "- Date: \(DocsSection.utcDate(date))",
            "- Machine: \(machine.summary); load average at start \(machine.loadAverage)",
            "- Build: \(build) (`swift build -c release --product earshot-bench`); stores: SQLite (WAL, `synchronous = FULL`, the default) on \(machine.filesystem) (`stat -f` type)",
            "- Engine: **synthetic** — every claimed job is answered at once with the same one-segment transcript; no audio is read or transcribed. These figures are coordinator cost only.",
            "- Each N (simulated nodes), slot count and path gets a fresh store. **Saturated**: \(options.jobs) jobs, half pre-filled, the other half inserted by one producer as fast as it can while the nodes work; cycles/s = jobs / (first node start → last completion). Pre-filled jobs count as enqueued when the nodes start, so saturated latency is mostly time spent in the backlog. **Paced**: \(options.pacedJobs) jobs arriving at \(format(options.rate, 0)) jobs/s while the nodes idle in their waits (long-poll `wait=\(options.waitSeconds)`), which is the enqueue→claim latency the target is about.",
            "- Enqueue = `createJob` + `WorkSignal.notify()` (what the upload route does once media is stored and probed); enqueue instant taken before `createJob`, claim instant when the claim reply reaches the node.",
            "- **Baseline**: N tasks on the store alone via `LocalWorkSource`, as the built-in worker runs (claimNext; complete, taking the next job in the same transaction: `completeAll(_:thenClaim:now:)`; idle: wait on the work signal); with K slots each task claims up to K jobs in one transaction and completes them in one that also claims the next K. **HTTP coordinator**: the server's router (`EarshotServer.makeRouter`) on Hummingbird over loopback, N registered nodes working as `HTTPWorkSource` does: a long-poll `NodeClient.claim` when idle, and each delivery (`POST /api/v1/node/completions` with a `claim`) taking the next job queued, so a busy node makes one request per job; all in the benchmark's process, so client and server share the \(machine.cpus) CPUs. Nodes use `NodeClient` as real nodes do (AsyncHTTPClient, JSON). With K slots, each node runs K slot tasks through one `BatchingNodeClient`, as `earshot node start --slots K` does: claims and deliveries that coincide share a request (`POST /api/v1/node/claims`, `/completions`; at most two of each on the way), a lone claim goes alone, and each delivery takes its slot's next job. Idle round trips, before the phases: median of 200 sequential read-only `GET /api/v1/node` calls, and of 200 empty claims (`POST /api/v1/node/claim?wait=0`, empty queue).",
            "",
        ] + rows + [""] + ratioRows + [
            "",
            "Targets: ≥ \(Int(Self.targetCycles)) claim+complete cycles/s and p99 enqueue→claim < \(Int(Self.targetP99Ms)) ms, for the HTTP coordinator.",
            "",
            "Reproduce with `make bench-coordinator` (see `bench/README.md`).",
            Self.end,
        ]
        return lines.joined(separator: "\n")
    }

    func writeSection(to path: String) throws {
        try DocsSection.replace(start: Self.start, end: Self.end, with: section(), in: path)
    }
}

/// Replaces one generated section of a Markdown file (between its start and end markers), or
/// appends it; hand-written text outside the markers is kept.
enum DocsSection {
    static func replace(start: String, end: String, with section: String, in path: String) throws {
        let url = URL(fileURLWithPath: path)
        var text = (try? String(contentsOf: url, encoding: .utf8)) ?? "# Benchmarks\n"
        if let startRange = text.range(of: start), let endRange = text.range(of: end), startRange.lowerBound < endRange.upperBound {
            text.replaceSubrange(startRange.lowerBound..<endRange.upperBound, with: section)
        } else {
            text = text.trimmingCharacters(in: .newlines) + "\n\n" + section + "\n"
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static func utcDate(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}

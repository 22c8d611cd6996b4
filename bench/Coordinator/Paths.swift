import EarshotClient
import EarshotCore
import EarshotNode
import EarshotServer
import EarshotStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One way of running simulated nodes against a coordinator: the store alone (baseline) or the
/// full HTTP coordinator. Both enqueue the same way — `createJob` then `WorkSignal.notify()`,
/// which is exactly what the upload route does once the media is stored and probed.
protocol CoordinatorPath: Sendable {
    /// Queues one job the way the upload route does.
    func enqueue(_ tracker: PhaseTracker) async throws
    /// Runs node `index` until cancelled, reporting to `tracker`.
    func runNode(_ index: Int, tracker: PhaseTracker) async throws
    func shutdown() async
}

/// What the upload route does once the media is stored and probed.
func enqueueJob(on store: any Store, signal: WorkSignal, _ tracker: PhaseTracker) async throws {
    let job = SyntheticEngine.newJob()
    tracker.enqueued(job.id)
    _ = try await store.createJob(job, now: Date())
    signal.notify()
}

/// A fresh directory with an empty SQLite store in it.
func makeStore(under parent: URL, label: String) throws -> (URL, any Store) {
    let directory = parent.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
    return (directory, store)
}

/// Baseline: N tasks calling the store directly, the way a built-in worker does through
/// `LocalWorkSource` (claim; on nothing, wait for the work signal; complete, taking the next job
/// in the same transaction).
///
/// With `slots` > 1 each task stands for a node running that many jobs at once: it claims up to
/// `slots` jobs in one store transaction (`claimJobs`) and completes them together, taking the
/// next ones in the same transaction (`completeAll(_:thenClaim:now:)`), as the HTTP path's
/// batched nodes do over the API.
struct StorePath: CoordinatorPath {
    let store: any Store
    let signal = WorkSignal()
    let source: LocalWorkSource
    let waitSeconds: Int
    let slots: Int

    init(store: any Store, directory: URL, waitSeconds: Int, slots: Int) throws {
        self.store = store
        self.waitSeconds = waitSeconds
        self.slots = slots
        let media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        source = LocalWorkSource(store: store, media: media, leaseSeconds: 120, signal: signal)
    }

    func enqueue(_ tracker: PhaseTracker) async throws { try await enqueueJob(on: store, signal: signal, tracker) }

    func runNode(_ index: Int, tracker: PhaseTracker) async throws {
        let holder = "bench:\(index)"
        if slots > 1 { return try await runBatchedNode(holder: holder, tracker: tracker) }
        var next: ClaimedJob?
        while !Task.isCancelled {
            let taken: ClaimedJob?
            if let prefetched = next {
                taken = prefetched
                next = nil
            } else {
                taken = try await source.claim(holder: holder)
            }
            guard let claimed = taken else {
                await source.waitForWork(timeout: .seconds(waitSeconds))
                continue
            }
            tracker.claimed(claimed.job.id)
            next = try await source.complete(claimed.lease, transcript: SyntheticEngine.transcript(for: claimed.job), thenClaimFor: holder)
            tracker.completed()
        }
    }

    private func runBatchedNode(holder: String, tracker: PhaseTracker) async throws {
        let criteria = ClaimCriteria(holder: holder, leaseSeconds: 120, models: nil, canDiarize: false, limit: slots)
        var claimed: [ClaimedJob] = []
        while !Task.isCancelled {
            if claimed.isEmpty {
                claimed = try await store.claimJobs(holder: holder, leaseSeconds: 120, models: nil, canDiarize: false, limit: slots, now: Date())
            }
            guard !claimed.isEmpty else {
                await source.waitForWork(timeout: .seconds(waitSeconds))
                continue
            }
            for work in claimed { tracker.claimed(work.job.id) }
            let done = try await store.completeAll(
                claimed.map { JobResult(lease: $0.lease, transcript: SyntheticEngine.transcript(for: $0.job)) }, thenClaim: criteria, now: Date()
            )
            for outcome in done.outcomes {
                guard case .completed = outcome else { throw BenchError("a batched completion was refused: \(outcome)") }
                tracker.completed()
            }
            claimed = done.claimed
        }
    }

    func shutdown() async {}
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The full coordinator: the server's own router (`EarshotServer.makeRouter`, the one
/// `makeApplication` serves) on Hummingbird over loopback, with N registered nodes each looping
/// `NodeClient.claim` (long-poll) → `NodeClient.complete`.
///
/// The server is assembled here rather than through `makeApplication` so the benchmark holds the
/// server's `WorkSignal`: jobs are then enqueued exactly as the upload route does after probing
/// (`createJob` + `notify`), without ffprobe (~30 ms a job) in the loop, and long-polling nodes
/// are woken as they would be in production. `workers = 0`, so `makeApplication` would add no
/// engine or worker either; its lease sweeper (every 60 s) is the only service left out.
///
/// Each store in `replicas` is one server replica (its own store instance, work signal and
/// router, on 127.0.0.(i+1)); node i talks to replica i mod R and jobs are enqueued round-robin
/// over them, as a load balancer would spread uploads. Replicas on one PostgreSQL database wake
/// each other's waiting claims through `ReplicaWake`, as `serve` does.
///
/// With one replica, `--listeners K` serves its router on 127.0.0.1 … 127.0.0.K as well, node i
/// talking to listener i mod K; one listener (the default) is how a server runs.
final class HTTPPath: CoordinatorPath {
    let stores: [any Store]
    let signals: [WorkSignal]
    let waitSeconds: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let clients: [NodeClient]
    private let turn = Atomic<Int>(0)

    let slots: Int
    /// Whether a node takes its next job in the request that delivers the last one.
    let claimWithDelivery: Bool

    init(
        replicas: [any Store], directory: URL, nodes: Int, slots: Int = 1, listeners requested: Int?, waitSeconds: Int,
        claimWithDelivery: Bool = true, logger: Logger
    ) async throws {
        precondition(!replicas.isEmpty)
        self.slots = slots
        self.claimWithDelivery = claimWithDelivery
        stores = replicas
        signals = replicas.map { _ in WorkSignal() }
        self.waitSeconds = waitSeconds
        var configuration = ServerConfiguration()
        configuration.workers = 0
        // Every simulated node shares the loopback address: a per-address limit would measure itself.
        configuration.rateLimitPerSecond = 0
        configuration.port = 0
        configuration.dataDirectory = directory.path
        configuration.adminToken = "bench-admin-\(UUID().uuidString)"
        _ = EarshotMetrics.registry
        let media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        let routers = zip(replicas, signals).map { store, signal in
            EarshotServer.makeRouter(store: store, media: media, recognizers: [], signal: signal, configuration: configuration)
        }

        let listeners = replicas.count > 1 ? replicas.count : max(1, requested ?? 1)
        let (ports, portsIn) = AsyncStream<(Int, Int)>.makeStream()
        var services: [any Service] = (0..<listeners).map { index in
            Application(
                router: routers[index % routers.count],
                configuration: .init(address: .hostname("127.0.0.\(index + 1)", port: 0), serverName: "earshot"),
                onServerRunning: { channel in portsIn.yield((index, channel.localAddress?.port ?? 0)) },
                logger: logger
            )
        }
        if replicas.count > 1 {
            services += zip(replicas, signals).map { ReplicaWake(store: $0, signal: $1) as any Service }
        }
        group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let group = self.group
        running = Task { try await group.run() }
        var bound: [Int: Int] = [:]
        for await (index, port) in ports {
            bound[index] = port
            if bound.count == listeners { break }
        }
        let baseURLs = (0..<listeners).map { URL(string: "http://127.0.0.\($0 + 1):\(bound[$0] ?? 0)")! }

        let admin = AdminClient(baseURL: baseURLs[0], token: configuration.adminToken)
        var clients: [NodeClient] = []
        for index in 0..<nodes {
            let registration = try await admin.registerNode(name: "bench-node-\(index)")
            clients.append(NodeClient(baseURL: baseURLs[index % listeners], apiKey: registration.apiKey))
        }
        self.clients = clients
    }

    func enqueue(_ tracker: PhaseTracker) async throws {
        let replica = turn.wrappingAdd(1, ordering: .relaxed).oldValue % stores.count
        try await enqueueJob(on: stores[replica], signal: signals[replica], tracker)
    }

    var listenerCount: Int { Set(clients.map(\.baseURL)).count }

    /// Median time of a read-only request (`GET /api/v1/node`) through `NodeClient`, one at a
    /// time: the HTTP stack's own per-request cost, for reading the cycle figures.
    func medianRoundTrip(count: Int = 200) async throws -> Duration {
        var times: [Duration] = []
        for _ in 0..<count {
            let started = ContinuousClock.now
            _ = try await clients[0].whoami()
            times.append(ContinuousClock.now - started)
        }
        return times.sorted()[count / 2]
    }

    /// Median time of an empty claim (`POST /api/v1/node/claim?wait=0` on an empty queue), one at
    /// a time: what a POST with a JSON body costs beside the GET above.
    func medianEmptyClaim(count: Int = 200) async throws -> Duration {
        var times: [Duration] = []
        for _ in 0..<count {
            let started = ContinuousClock.now
            _ = try await clients[0].claim(models: nil, waitSeconds: 0)
            times.append(ContinuousClock.now - started)
        }
        return times.sorted()[count / 2]
    }

    /// A one-slot node as `HTTPWorkSource` runs one: a long-poll claim when it has no job, and each
    /// delivery (`POST /api/v1/node/completions` with a `claim`) taking the next job queued.
    func runNode(_ index: Int, tracker: PhaseTracker) async throws {
        let client = clients[index]
        if slots > 1 { return try await runBatchedNode(client, tracker: tracker) }
        var next: ClaimedWork?
        while !Task.isCancelled {
            let work: ClaimedWork
            if let taken = next {
                work = taken
                next = nil
            } else {
                guard let claimed = try await client.claim(models: nil, waitSeconds: waitSeconds) else { continue }
                work = claimed
            }
            tracker.claimed(work.job.id)
            let report = CompletionReport(lease: LeaseReference(work.lease), transcript: SyntheticEngine.transcript(for: work.job))
            if claimWithDelivery {
                let answer = try await client.completeAll([report], thenClaim: ClaimRequest(models: nil, max: 1))
                guard answer.results.first?.status == 200 else { throw BenchError("a completion was refused: \(answer.results)") }
                next = answer.claims?.first
            } else {
                try await client.complete(jobID: work.job.id, report: report)
            }
            tracker.completed()
        }
    }

    /// A node with `slots` slots, as `earshot node start --slots` runs one: each slot loops claim →
    /// complete through the node's `BatchingNodeClient`, so claims and deliveries that coincide
    /// share a request (`POST /api/v1/node/claims`, `/completions`), a lone one goes alone, and
    /// each delivery takes its slot's next job when one is queued.
    private func runBatchedNode(_ client: NodeClient, tracker: PhaseTracker) async throws {
        let batching = BatchingNodeClient(client: client, models: nil, diarization: false, waitSeconds: waitSeconds)
        let claimWithDelivery = self.claimWithDelivery
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<slots {
                group.addTask {
                    var next: ClaimedWork?
                    while !Task.isCancelled {
                        let work: ClaimedWork
                        if let taken = next {
                            work = taken
                            next = nil
                        } else {
                            guard let claimed = try await batching.claim() else { continue }
                            work = claimed
                        }
                        tracker.claimed(work.job.id)
                        let report = CompletionReport(lease: LeaseReference(work.lease), transcript: SyntheticEngine.transcript(for: work.job))
                        let delivered = try await batching.complete(report, claimingNext: claimWithDelivery)
                        guard delivered.result.status == 200 else { throw BenchError("a completion was refused: \(delivered.result)") }
                        next = delivered.next
                        tracker.completed()
                    }
                }
            }
            try await withTaskCancellationHandler {
                try await group.waitForAll()
            } onCancel: {
                batching.wakeClaims()
            }
        }
    }

    func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}

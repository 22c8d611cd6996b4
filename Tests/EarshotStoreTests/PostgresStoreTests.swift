import EarshotCore
import EarshotStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// What only the PostgreSQL store has: several processes' stores on one database, TLS, and a
/// server that may not be there.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("an event appended through one store wakes the readers of another on the same database")
    func notificationsCrossStores() async throws {
        let fixture = try await StoreKind.postgres.makeFixture()
        let a = try await fixture.open()
        let b = try await fixture.open()
        let before = try await b.latestEventSeq()
        // The listener starts with the store; wait for its first (catch-up) wake-up so the
        // notification below cannot arrive before it listens.
        try await waitForChange(of: b.eventSignal, from: 0)
        let observed = b.eventSignal.generation
        let job = try await a.createJob(newJob(), now: at(0))
        try await waitForChange(of: b.eventSignal, from: observed)
        let events = try await b.events(after: before, filter: .all, correlationId: nil, limit: 10)
        #expect(events.map(\.type) == [.jobCreated])
        #expect(events.first?.correlationId == job.id.rawValue)
    }

    @Test("a job queued through one store (created, released) wakes the other's queued-work signal; a claim wakes only its event readers")
    func queuedWorkCrossesStores() async throws {
        let fixture = try await StoreKind.postgres.makeFixture()
        let a = try await fixture.open()
        let b = try await fixture.open()
        try await waitForChange(of: b.queuedWorkSignal, from: 0)  // the listener's first wake-up

        var queued = b.queuedWorkSignal.generation
        let job = try await a.createJob(newJob(), now: at(0))
        try await waitForChange(of: b.queuedWorkSignal, from: queued)

        // Notifications arrive in commit order: once the claim's has reached b's event readers,
        // a queued-work wake-up for it would have come too.
        queued = b.queuedWorkSignal.generation
        var events = b.eventSignal.generation
        let claimed = try #require(try await a.claimNext(holder: "node:x", leaseSeconds: 60, models: nil, canDiarize: false, now: at(1)))
        #expect(claimed.job.id == job.id)
        try await waitForChange(of: b.eventSignal, from: events)
        #expect(b.queuedWorkSignal.generation == queued, "a claim queues nothing")

        events = b.eventSignal.generation
        _ = try await a.release(claimed.lease, now: at(2))
        try await waitForChange(of: b.queuedWorkSignal, from: queued)
        try await waitForChange(of: b.eventSignal, from: events)
    }

    @Test("the listener comes back after the database ends its connection: notifications still cross stores")
    func listenerReconnects() async throws {
        let fixture = try await StoreKind.postgres.makeFixture()
        let a = try await fixture.open()
        let b = try await fixture.open()
        try await waitForChange(of: b.eventSignal, from: 0)
        try await terminateConnections(fixture, where: "wait_event = 'ClientRead' OR state = 'idle'")
        // Whatever b's listener went through, a new event must reach it.
        let observed = b.eventSignal.generation
        _ = try await a.createJob(newJob(), now: at(0))
        try await waitForChange(of: b.eventSignal, from: observed)
        _ = try await b.latestEventSeq()
    }

    @Test("event numbers follow commit order: a reader that saw event n never later finds one below n")
    func eventOrderUnderConcurrentWriters() async throws {
        let fixture = try await StoreKind.postgres.makeFixture()
        let stores = [try await fixture.open(), try await fixture.open()]
        let reader = try await fixture.open()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        for n in 0..<25 { _ = try await stores[index % 2].createJob(newJob(sha: "s\(index)-\(n)"), now: at(Double(n))) }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Follow the log while it grows, as an SSE subscriber does; every event must be seen.
        var cursor: Int64 = 0
        var seen: [Int64] = []
        while seen.count < 200 {
            let page = try await reader.events(after: cursor, filter: .all, correlationId: nil, limit: 50)
            seen += page.map(\.seq)
            cursor = page.last?.seq ?? cursor
            if page.isEmpty { await reader.eventSignal.wait(timeout: .seconds(5)) }
        }
        try await writers.value
        let all = try await reader.events(after: 0, filter: .all, correlationId: nil, limit: 1000).map(\.seq)
        #expect(seen == all, "the follower saw exactly the committed log, in order")
    }

    @Test("database URLs: defaults, TLS modes, pool size, masked password, clear refusals")
    func databaseURLs() throws {
        let url = try PostgresDatabaseURL(parsing: "postgres://earshot:s%40cret@db.example:6543/speech?sslmode=require&pool_max=8")
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "earshot" && url.password == "s@cret")
        #expect(url.database == "speech" && url.tls == .require && url.maximumConnections == 8)
        #expect(url.description == "postgres://earshot:••••••@db.example:6543/speech")
        let plain = try PostgresDatabaseURL(parsing: "postgresql://me@localhost")
        #expect(plain.port == 5432 && plain.database == "me" && plain.tls == .prefer && plain.password == nil)
        for bad in ["mysql://me@host/db", "postgres://host/db", "postgres://me@host/db?sslmode=sometimes", "postgres://me@host/db?pool_max=0",
                    "postgres://me@host/db?colour=blue"] {
            #expect(throws: PostgresURLError.self, "\(bad)") { try PostgresDatabaseURL(parsing: bad) }
        }
    }

    @Test("TLS as libpq means it: require encrypts, verify-full checks the certificate against the roots given, disable does not encrypt")
    func tlsModes() async throws {
        let base = try await TestPostgres.createDatabase()
        let authority = try #require(ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_CA"], "with-test-postgres.sh names its certificate")
        var url = base
        url.tls = .disable
        #expect(try await PostgresStore(url: url).isConnectionEncrypted() == false)
        url.tls = .require
        #expect(try await PostgresStore(url: url).isConnectionEncrypted())
        url.tls = .verifyFull
        url.rootCertificatePath = authority
        #expect(try await PostgresStore(url: url).isConnectionEncrypted())
        // The system's roots do not know the cluster's self-signed certificate.
        url.rootCertificatePath = nil
        await #expect(throws: PostgresUnreachable.self) { _ = try await PostgresStore(url: url, startupTimeout: .seconds(2)) }
    }

    @Test("a server that is not there is waited for, then named in the error; a wrong database fails at once")
    func unreachable() async throws {
        var url = try await TestPostgres.createDatabase()
        let started = ContinuousClock.now
        url.database = "no_such_database"
        let missing = await #expect(throws: PostgresUnreachable.self) { _ = try await PostgresStore(url: url, startupTimeout: .seconds(30)) }
        #expect(ContinuousClock.now - started < .seconds(5), "no waiting for a database that does not exist")
        #expect(missing?.description.contains("no_such_database") == true, "\(String(describing: missing))")

        url.port = try closedPort()
        let waited = ContinuousClock.now
        let refused = await #expect(throws: PostgresUnreachable.self) { _ = try await PostgresStore(url: url, startupTimeout: .seconds(3)) }
        #expect(ContinuousClock.now - waited >= .seconds(1), "a refused connection is retried")
        #expect(refused?.description.contains("127.0.0.1:\(url.port)") == true, "\(String(describing: refused))")
    }

    @Test("a role is held by one store at a time: the next takes it when the holder finishes, or when the holder's connection is killed (its work is cancelled)")
    func leadership() async throws {
        let fixture = try await StoreKind.postgres.makeFixture()
        let a = try await fixture.open()
        let b = try await fixture.open()
        let c = try await fixture.open()
        let log = RoleLog()
        let finishA = ChangeSignal()
        let holderA = Task {
            try await a.whileLeading("chores") {
                log.add("a started")
                let started = finishA.generation
                while finishA.generation == started { await finishA.wait(timeout: .seconds(60), unlessNotifiedSince: started) }
                log.add("a ended")
            }
        }
        try await log.wait(for: "a started")
        let holderB = Task {
            try await b.whileLeading("chores") {
                log.add("b started")
                do {
                    try await Task.sleep(for: .seconds(600))
                } catch {
                    log.add("b cancelled")
                }
            }
        }
        finishA.notify()
        try await holderA.value
        try await log.wait(for: "b started")
        #expect(log.entries.prefix(3) == ["a started", "a ended", "b started"], "never two holders: \(log.entries)")

        // Kill B's lock connection, as a crashed replica's would end: C takes the role and B's
        // work is cancelled when its watchdog finds the connection gone.
        let holderC = Task { try await c.whileLeading("chores") { log.add("c started") } }
        try await terminateConnections(fixture, where: "pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')")
        try await log.wait(for: "b cancelled")
        try await log.wait(for: "c started")
        try await holderC.value
        holderB.cancel()
    }

    /// Ends the other connections to the fixture's database that match `condition` (on
    /// `pg_stat_activity`), as a database restart or an operator would; returns how many.
    @discardableResult
    private func terminateConnections(_ fixture: StoreFixture, where condition: String) async throws -> Int {
        let url = try #require(fixture.databaseURL)
        let logger = Logger(label: "earshot.test")
        let connection = try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.any(),
            configuration: .init(host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable),
            id: 9, logger: logger
        )
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND (\(condition))
            """), logger: logger).collect()
        try await connection.close()
        #expect(!rows.isEmpty, "some connection matched \(condition)")
        return rows.count
    }

    /// A loopback port nothing listens on.
    private func closedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw NoWakeUp() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func waitForChange(of signal: ChangeSignal, from generation: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while signal.generation == generation {
            guard deadline > .now else { throw NoWakeUp() }
            await signal.wait(timeout: deadline - .now, unlessNotifiedSince: generation)
        }
    }

    struct NoWakeUp: Error {}
}

/// What the role holders did, in order, for a test to wait on.
final class RoleLog: Sendable {
    private let state = Mutex<[String]>([])
    private let signal = ChangeSignal()

    var entries: [String] { state.withLock { $0 } }

    func add(_ entry: String) {
        state.withLock { $0.append(entry) }
        signal.notify()
    }

    func wait(for entry: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let generation = signal.generation
            if entries.contains(entry) { return }
            guard deadline > .now else { throw Missing(entry: entry, entries: entries) }
            await signal.wait(timeout: deadline - .now, unlessNotifiedSince: generation)
        }
    }

    struct Missing: Error {
        var entry: String
        var entries: [String]
    }
}

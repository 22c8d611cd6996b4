import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// How often a waiting replica tries for a role, and how often the holder checks it still
    /// has the connection that holds it.
    static let leadershipCheckInterval: Duration = .seconds(2)

    /// The role is a session advisory lock, held on a connection of its own for as long as `body`
    /// runs. PostgreSQL releases it when that connection ends, however the holder died; the holder
    /// pings the connection and cancels `body` as soon as it fails, so two replicas never both act
    /// for long on a role.
    public func whileLeading(_ role: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let key = "earshot:role:\(role)"
        let logger = logger
        while !Task.isCancelled {
            do {
                let done = try await client.withConnection { connection -> Bool in
                    let session = PostgresSession(connection: connection, logger: logger)
                    guard try await session.scalar(Bool.self, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", [key]) == true else {
                        return false
                    }
                    logger.info("leading", metadata: ["role": "\(role)"])
                    try await Self.run(body, holding: session)
                    try await session.execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", [key])
                    return true
                }
                if done { return }
            } catch is LeadershipLost {
                logger.warning("lost the connection that held a role; waiting to take it again", metadata: ["role": "\(role)"])
            } catch let error as PSQLError {
                // The database is unreachable: nobody can take the role until it is back.
                logger.warning("cannot reach the database to take a role", metadata: ["role": "\(role)", "error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: Self.leadershipCheckInterval)
        }
    }

    /// Runs `body` beside a watchdog on the lock's connection; the first to end ends both.
    private static func run(_ body: @escaping @Sendable () async throws -> Void, holding session: PostgresSession) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: leadershipCheckInterval)
                    guard await answers(session) else { throw LeadershipLost() }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

extension PostgresStore {
    /// Whether the connection answers a trivial query within the check interval. A query on a
    /// connection the server has ended can wait for ever instead of failing, so silence counts
    /// as a failure.
    static func answers(_ session: PostgresSession) async -> Bool {
        (try? await withDeadline(leadershipCheckInterval) { try await session.execute("SELECT 1") }) != nil
    }
}

/// The connection holding a role failed: another replica may hold the role now.
struct LeadershipLost: Error {}

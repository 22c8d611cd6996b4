import EarshotStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL cluster the tests run against: `scripts/with-test-postgres.sh` (which
/// `make test` uses) starts a throwaway one and names it in `EARSHOT_TEST_DATABASE_URL`.
enum TestPostgres {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "EARSHOT_TEST_DATABASE_URL is not set: run the tests with `make test` or `scripts/with-test-postgres.sh swift test`"
        }
    }

    static func clusterURL() throws -> PostgresDatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_URL"], !text.isEmpty else { throw NotConfigured() }
        return try PostgresDatabaseURL(parsing: text)
    }

    /// Creates an empty database of its own for one test, so tests running in parallel never see
    /// each other's rows; returns its URL with a small connection pool.
    static func createDatabase() async throws -> PostgresDatabaseURL {
        let cluster = try clusterURL()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let logger = Logger(label: "earshot.test.postgres")
        let connection = try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.any(),
            configuration: PostgresConnection.Configuration(
                host: cluster.host, port: cluster.port, username: cluster.user, password: cluster.password,
                database: cluster.database, tls: .disable
            ),
            id: 1, logger: logger
        )
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        var url = cluster
        url.database = name
        url.maximumConnections = 4
        return url
    }
}

import EarshotStore
import Foundation

/// The PostgreSQL cluster the tests run against: `scripts/with-test-postgres.sh` (which
/// `make test` uses) starts a throwaway one and names it in `EARSHOT_TEST_DATABASE_URL`.
enum TestPostgres {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "EARSHOT_TEST_DATABASE_URL is not set: run the tests with `make test` or `scripts/with-test-postgres.sh swift test`"
        }
    }

    /// Creates an empty database of its own for one test, so tests running in parallel never see
    /// each other's rows; returns its URL with a small connection pool.
    static func createDatabase() async throws -> PostgresDatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["EARSHOT_TEST_DATABASE_URL"], !text.isEmpty else { throw NotConfigured() }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var url = try await PostgresAdmin.createDatabase(name, on: try PostgresDatabaseURL(parsing: text))
        url.maximumConnections = 4
        return url
    }
}

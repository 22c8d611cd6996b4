import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Cluster-level chores the store itself never needs: tests and benchmarks use them to give each
/// run a database of its own.
public enum PostgresAdmin {
    /// Creates an empty database `name` (lowercase letters, digits and `_`) on the cluster `url`
    /// points at, connecting as its user; returns the URL of the new database.
    public static func createDatabase(_ name: String, on url: PostgresDatabaseURL) async throws -> PostgresDatabaseURL {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw PostgresURLError("a database name here is lowercase letters, digits and _, not '\(name)'")
        }
        let logger = Logger(label: "earshot.postgres.admin")
        let connection = try await connect(url, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        var created = url
        created.database = name
        return created
    }

    /// One connection to `url`, outside any pool: a single attempt that fails with the reason.
    static func connect(_ url: PostgresDatabaseURL, logger: Logger) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable
        )
        if let tls = PostgresStore.tlsConfiguration(url) {
            let context = try NIOSSLContext(configuration: tls)
            configuration.tls = url.tls == .prefer ? .prefer(context) : .require(context)
        }
        return try await PostgresConnection.connect(on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 0, logger: logger)
    }
}

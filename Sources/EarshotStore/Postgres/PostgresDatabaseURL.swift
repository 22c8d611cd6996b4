import Foundation

/// Where a PostgreSQL store lives, read from a `postgres://user:password@host:port/database` URL.
///
/// Query parameters: `sslmode` (`disable`, `prefer` — the default, as libpq's —, `require`;
/// `verify-full` is taken as `require`, which verifies the certificate and host name) and
/// `pool_max` (connections per server process, default 20; `pool_size` is accepted too).
public struct PostgresDatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var maximumConnections: Int

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(parsing text: String) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw PostgresURLError("a PostgreSQL URL looks like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresURLError("the database URL names no host") }
        self.host = host
        self.port = components.port ?? 5432
        guard let user = components.user, !user.isEmpty else { throw PostgresURLError("the database URL names no user") }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.user : (path.removingPercentEncoding ?? path)
        self.tls = .prefer
        self.maximumConnections = 20
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw PostgresURLError("sslmode must be disable, prefer or require, not '\(item.value ?? "")'")
                }
            case "pool_max", "pool_size":
                guard let value = item.value.flatMap(Int.init), (1...1000).contains(value) else {
                    throw PostgresURLError("\(item.name) must be a whole number from 1 to 1000")
                }
                maximumConnections = value
            default:
                throw PostgresURLError("unknown database URL parameter '\(item.name)' (known: sslmode, pool_max)")
            }
        }
    }

    /// The URL with the password masked, for logs and status pages.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":••••••")@\(host):\(port)/\(database)"
    }
}

/// A database URL that cannot be used, with the reason.
public struct PostgresURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

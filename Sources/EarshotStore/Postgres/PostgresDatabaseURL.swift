import Foundation

/// Where a PostgreSQL store lives, read from a `postgres://user:password@host:port/database` URL.
///
/// Query parameters, named and meaning what they mean to libpq:
/// - `sslmode`: `disable`; `prefer` (the default: TLS when the server offers it); `require` (TLS
///   or no connection, the certificate not checked); `verify-ca` (checked against the trusted
///   roots); `verify-full` (also the host name).
/// - `sslrootcert`: a PEM file of the roots to trust (default: the system's).
/// - `pool_max` (or `pool_size`): connections per server process, default 20.
public struct PostgresDatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// PEM file of trusted roots for `verify-ca` and `verify-full`; nil: the system's.
    public var rootCertificatePath: String?
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
                case "allow": tls = .prefer
                case let value:
                    guard let mode = TLSMode(rawValue: value) else {
                        throw PostgresURLError("sslmode must be disable, prefer, require, verify-ca or verify-full, not '\(value)'")
                    }
                    tls = mode
                }
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw PostgresURLError("sslrootcert needs a file path") }
                rootCertificatePath = path
            case "pool_max", "pool_size":
                guard let value = item.value.flatMap(Int.init), (1...1000).contains(value) else {
                    throw PostgresURLError("\(item.name) must be a whole number from 1 to 1000")
                }
                maximumConnections = value
            default:
                throw PostgresURLError("unknown database URL parameter '\(item.name)' (known: sslmode, sslrootcert, pool_max)")
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

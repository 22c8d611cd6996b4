import Foundation

/// What a person may do on the server. Ordered: each role can do everything the ones after it can.
public enum Role: String, Codable, Sendable, CaseIterable, Hashable {
    /// Everything, users and nodes included.
    case admin
    /// Reads and writes their own jobs and transcripts (and reads what viewers read).
    case member
    /// Reads only.
    case viewer

    /// The scopes a key of someone with this role can carry.
    public var grantableScopes: Set<AccessScope> {
        switch self {
        case .admin: [.jobsRead, .jobsWrite, .admin]
        case .member: [.jobsRead, .jobsWrite]
        case .viewer: [.jobsRead]
        }
    }
}

/// What an API key may be used for; a key never does more than its owner's role allows.
public enum AccessScope: String, Codable, Sendable, CaseIterable, Hashable {
    case jobsRead = "jobs:read"
    case jobsWrite = "jobs:write"
    case admin
    /// Carried by node keys alone (registered through `/api/v1/nodes`): the node protocol.
    case node

    /// Parses a comma-separated scope list; throws naming the first unknown scope.
    public static func parse(_ names: [String]) throws(AccountInputError) -> Set<AccessScope> {
        var scopes: Set<AccessScope> = []
        for name in names {
            guard let scope = AccessScope(rawValue: name.trimmingCharacters(in: .whitespaces)), scope != .node else {
                throw AccountInputError(code: "unknown_scope", message: "unknown scope '\(name)'; use jobs:read, jobs:write or admin")
            }
            scopes.insert(scope)
        }
        if scopes.isEmpty { throw AccountInputError(code: "missing_scopes", message: "a key needs at least one scope: jobs:read, jobs:write or admin") }
        return scopes
    }
}

/// Account input that cannot be accepted, with a code for the API's error body.
public struct AccountInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

import Foundation

/// A non-2xx answer from an Earshot server, with the `{"error":{"code","message"}}` body parsed.
public struct EarshotAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// The machine-readable code from the body (e.g. `lease_stale`), or `http_<status>` when the
    /// body was not Earshot's error envelope (a proxy's page, say).
    public var code: String
    /// The human-readable message from the body.
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// Parses an error response; any body that is not the envelope still yields a usable error.
    public init(status: Int, body: Data) {
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: body) {
            self.init(status: status, code: envelope.error.code, message: envelope.error.message)
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.init(status: status, code: "http_\(status)", message: text.isEmpty ? "HTTP \(status)" : text)
        }
    }

    public var description: String { "\(message) (\(code), HTTP \(status))" }

    private struct Envelope: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}

/// The server could not be reached or the exchange broke off before an HTTP status arrived.
public struct EarshotConnectionError: Error, Sendable, CustomStringConvertible {
    /// The URL that was being requested.
    public var url: String
    /// The transport's explanation.
    public var reason: String

    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    public var description: String { "could not reach \(url): \(reason)" }
}

/// Downloaded media that cannot be used; the partial or wrong file has already been deleted.
public enum MediaDownloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file's SHA-256 is not the one the job names: corrupted in transit or on the server.
    case digestMismatch(expected: String, actual: String)
    /// The connection kept dropping; `attempts` tries were made.
    case incomplete(attempts: Int, reason: String)

    public var description: String {
        switch self {
        case .digestMismatch(let expected, let actual): "downloaded media has SHA-256 \(actual), expected \(expected)"
        case .incomplete(let attempts, let reason): "media download incomplete after \(attempts) attempts: \(reason)"
        }
    }
}

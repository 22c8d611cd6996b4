import EarshotCore
import Foundation
import HTTPTypes
import Hummingbird

/// Node API keys: 256 random bits, shown once; the store keeps only their SHA-256. A fast hash is
/// right here (unlike for passwords): the keys are random, so there is nothing to brute-force.
enum NodeKeys {
    static let prefix = "esk_"

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<4).map { _ in generator.next() as UInt64 }
        return prefix + words.map { String(format: "%016llx", $0) }.joined()
    }

    static func hash(_ key: String) -> String {
        var hasher = SHA256Hasher()
        hasher.update(Array(key.utf8))
        return hasher.finalizeHex()
    }

    /// The bearer token of a request, if it sent one.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// Compares without leaking, through timing, how much of a guess was right.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<min(left.count, right.count) { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static let unauthorized = APIError(.unauthorized, "unauthorized", "missing, unknown or revoked key", headers: [.wwwAuthenticate: "Bearer"])
}

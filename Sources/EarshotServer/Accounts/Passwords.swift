import EarshotCore
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt password hashes, computed on NIO's thread pool: a hash takes a quarter of a second at cost
/// 12 and must not hold one of the few threads that run every request.
final class Passwords: Sendable {
    let cost: UInt8
    private let dummy = Mutex<String?>(nil)

    init(cost: UInt8) {
        self.cost = cost
    }

    func hash(_ password: String) async throws -> String {
        let (input, cost) = (Self.input(password), cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.input(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(input, hash: hash) }
    }

    /// Spends the time a check would, for a name that has no account, so timing does not tell which
    /// names exist.
    func verifyNothing(_ password: String) async throws {
        let known = dummy.withLock { $0 }
        let hash: String
        if let known {
            hash = known
        } else {
            hash = try await self.hash("not a password of anyone's")
            dummy.withLock { $0 = hash }
        }
        _ = try await verify(password, hash: hash)
    }

    /// bcrypt reads only the first 72 bytes; a longer passphrase is reduced to its SHA-256 (64 hex
    /// characters) so every byte of it counts.
    static func input(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        var hasher = SHA256Hasher()
        hasher.update(Array(password.utf8))
        return "sha256:" + hasher.finalizeHex()
    }
}

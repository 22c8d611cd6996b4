import Foundation

/// HMAC-SHA256 (RFC 2104), used to sign webhook deliveries.
public enum HMACSHA256 {
    private static let blockSize = 64

    /// The MAC of `message` under `key`, as lowercase hex.
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        mac(key: key, message: message).map { String(format: "%02x", $0) }.joined()
    }

    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key
        if block.count > blockSize {
            var hasher = SHA256Hasher()
            hasher.update(block)
            block = hasher.finalize()
        }
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256Hasher()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256Hasher()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}

import Foundation

/// An IP address or a CIDR block (`10.0.0.0/8`, `192.168.1.7`, `fd00::/8`, `::1`). IPv4-mapped IPv6
/// addresses (`::ffff:10.1.2.3`) count as their IPv4 address.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
        let maximum = bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maximum).contains(given), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = given
        }
        network = Self.masked(bytes, prefixLength: length)
        prefixLength = length
    }

    /// Whether `address` (an IP address's text) lies in this range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address), bytes.count == network.count else { return false }
        return Self.masked(bytes, prefixLength: prefixLength) == network
    }

    public var description: String {
        let address = network.count == 4
            ? network.map(String.init).joined(separator: ".")
            : stride(from: 0, to: 16, by: 2).map { String(UInt16(network[$0]) << 8 | UInt16(network[$0 + 1]), radix: 16) }.joined(separator: ":")
        return "\(address)/\(prefixLength)"
    }

    /// The address's bytes (4 or 16), IPv4-mapped IPv6 as IPv4; nil when it is not an address.
    public static func bytes(of text: String) -> [UInt8]? {
        if let v4 = ipv4(text) { return v4 }
        var storage = in6_addr()
        guard text.contains(":"), inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &storage) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12..<16]) }
        return bytes
    }

    /// Dotted quad only: `inet_aton` would also take `10.1` or octal, which no proxy writes.
    private static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, prefixLength - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
    }
}

/// Who a request really comes from when it arrives through reverse proxies.
public enum ForwardedFor {
    /// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest address
    /// in `X-Forwarded-For` (read from the right, past further trusted proxies) that is not trusted.
    /// Entries a trusted proxy did not write cannot be told from the client's own, so the walk stops at
    /// the first untrusted one — and at anything that is not an address.
    public static func client(peer: String, headers: [String], trusted: [IPAddressRange]) -> String {
        guard !trusted.isEmpty, isTrusted(peer, trusted) else { return peer }
        let hops = headers.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard IPAddressRange.bytes(of: hop) != nil else { break }
            client = hop
            if !isTrusted(hop, trusted) { break }
        }
        return client
    }

    static func isTrusted(_ address: String, _ trusted: [IPAddressRange]) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}

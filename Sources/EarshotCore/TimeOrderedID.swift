import Foundation
import Synchronization

/// Identifiers that sort by creation time: UUID version 7 (RFC 9562) in lowercase text.
///
/// Jobs and events are keyed by these ids in B-tree indexes. Random (version 4) ids land on a
/// random leaf page each, so every insert dirtied pages all over each index, and SQLite wrote a
/// WAL frame for each of them; time-ordered ids append to the same few pages at the right edge.
/// Within one millisecond, ids from this process keep increasing (a 12-bit sequence, RFC 9562
/// §6.2 method 1, then the next millisecond). The other 62 bits are random, so ids made by
/// several processes at once do not collide.
///
/// Generating one makes no system call: Foundation's `UUID()` on Linux opens, reads and closes
/// `/dev/urandom` each time, which showed up as three syscalls per event in the coordinator
/// benchmark. The bits come from a generator seeded once from the system's. These ids are
/// unique, not secret: no access decision rests on guessing one.
public enum TimeOrderedID {
    private struct State {
        var millisecond: UInt64 = 0
        var sequence: UInt64 = 0
        var random: Xoshiro256

        init() {
            var system = SystemRandomNumberGenerator()
            random = Xoshiro256(seed: (system.next(), system.next(), system.next(), system.next()))
        }
    }

    private static let state = Mutex(State())

    /// A new id, stamped with the system clock. Always the real clock, never a caller's notion of
    /// "now": ids stay increasing, so one stamped in the future would drag every later id there.
    public static func make() -> String {
        let (millisecond, sequence, random) = state.withLock { state -> (UInt64, UInt64, UInt64) in
            let clock = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
            if clock > state.millisecond {
                state.millisecond = clock
                state.sequence = state.random.next() & 0x1FF // room left for 3,583 more in this millisecond
            } else {
                state.sequence += 1
                if state.sequence > 0xFFF {
                    state.millisecond += 1
                    state.sequence = 0
                }
            }
            return (state.millisecond, state.sequence, state.random.next())
        }
        let high = (millisecond & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | sequence
        let low = random & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return format(high: high, low: low)
    }

    private static func format(high: UInt64, low: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[position] = digits[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return position
        }
    }
}

/// xoshiro256** (Blackman and Vigna): fast, and good enough for the random part of unique ids.
struct Xoshiro256: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: (UInt64, UInt64, UInt64, UInt64)) {
        // An all-zero state would only ever yield zeros.
        s = seed == (0, 0, 0, 0) ? (1, 2, 3, 4) : seed
    }

    mutating func next() -> UInt64 {
        let result = (s.1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3.rotatedLeft(by: 45)
        return result
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}

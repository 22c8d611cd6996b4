import EarshotCore
import Foundation
import Testing

@Suite("ISO 8601 timestamps")
struct TimestampTests {
    @Test("formats UTC with milliseconds, like ISO8601DateFormatter did")
    func formatsKnownInstants() {
        #expect(EarshotJSON.formatTimestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(EarshotJSON.formatTimestamp(Date(timeIntervalSince1970: 1_795_291_434.123)) == "2026-11-21T20:03:54.123Z")
        #expect(EarshotJSON.formatTimestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(EarshotJSON.formatTimestamp(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
        // 0.1229999… must not print as .122.
        #expect(EarshotJSON.formatTimestamp(Date(timeIntervalSince1970: 1_795_291_434.1229999)) == "2026-11-21T20:03:54.123Z")
    }

    @Test("agrees with Foundation's formatter across many instants")
    func agreesWithFoundation() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // Whole milliseconds, so rounding rules cannot differ.
            let milliseconds = Double(Int64.random(in: -2_000_000_000_000...8_000_000_000_000, using: &generator))
            let date = Date(timeIntervalSince1970: milliseconds / 1000)
            let ours = EarshotJSON.formatTimestamp(date)
            #expect(ours == reference.string(from: date))
            #expect(EarshotJSON.parseTimestamp(ours).map { abs($0.timeIntervalSince(date)) < 0.0005 } == true)
        }
    }

    @Test("parses offsets, no fraction and long fractions")
    func parsesVariants() throws {
        let base = Date(timeIntervalSince1970: 1_795_291_434)
        #expect(EarshotJSON.parseTimestamp("2026-11-21T20:03:54Z") == base)
        #expect(EarshotJSON.parseTimestamp("2026-11-21T21:03:54+01:00") == base)
        #expect(EarshotJSON.parseTimestamp("2026-11-21T15:33:54-0430") == base)
        let fractional = try #require(EarshotJSON.parseTimestamp("2026-11-21T20:03:54.123456789Z"))
        #expect(abs(fractional.timeIntervalSince(base) - 0.123) < 1e-6, "read to the millisecond, as written")
        let carried = try #require(EarshotJSON.parseTimestamp("2026-11-21T20:03:54.9996Z"))
        #expect(ISO8601Timestamp.format(carried) == "2026-11-21T20:03:55.000Z")
    }

    @Test("a finer fraction than milliseconds reads back equal after a round trip (found by the event-json fuzzer)")
    func roundTripIsExact() throws {
        let parsed = try #require(ISO8601Timestamp.parse("2026-11-21T20:03:54.1233Z"))
        #expect(ISO8601Timestamp.parse(ISO8601Timestamp.format(parsed)) == parsed)
    }

    @Test("rejects malformed and out-of-range text", arguments: [
        "", "2026-11-21", "2026-11-21T20:03:54", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T20:60:00Z", "2026-11-21T20:03:54.Z", "2026-11-21T20:03:54Zjunk",
        "26-11-21T20:03:54Z", "2026-11-21T20:03:54+1:00", "２026-11-21T20:03:54Z",
    ])
    func rejectsMalformed(text: String) {
        #expect(EarshotJSON.parseTimestamp(text) == nil)
    }
}

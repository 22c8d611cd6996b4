@testable import EarshotCore
import Foundation
import Testing

@Suite("Time-ordered ids")
struct TimeOrderedIDTests {
    @Test("ids are version 7 UUIDs whose first 48 bits are the millisecond they were made")
    func layout() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let id = TimeOrderedID.make()
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        let uuid = try #require(UUID(uuidString: id), "\(id) is not a UUID")
        #expect(uuid.uuidString.lowercased() == id)
        let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7, "version 7")
        #expect(bytes[8] >> 6 == 0b10, "RFC 9562 variant")
        let millisecond = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // Never earlier than its making; later only by the milliseconds that ids made in a burst
        // elsewhere in this process borrowed (4,096 per millisecond, then the next).
        #expect(millisecond >= before && millisecond <= after + 50, "\(millisecond) not in \(before)...\(after) (\(id))")
        #expect(JobID(validating: id)?.rawValue == id, "the API accepts it as a job id")
    }

    @Test("ids made one after another sort in the order they were made, and never repeat")
    func ordered() {
        // Thousands within a few milliseconds: many share one (the sequence orders those).
        let all = (0..<10_000).map { _ in TimeOrderedID.make() }
        #expect(all == all.sorted())
        #expect(Set(all).count == all.count)
    }

    @Test("the random part differs between ids")
    func randomPart() {
        let ids = (0..<1_000).map { _ in TimeOrderedID.make() }
        let tails = Set(ids.map { $0.suffix(12) })
        #expect(tails.count == ids.count)
    }
}

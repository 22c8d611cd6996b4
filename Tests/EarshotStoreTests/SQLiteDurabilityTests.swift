import EarshotCore
import EarshotStore
import Foundation
import Testing

/// "Nothing accepted is lost" holds through a power loss only if every commit reaches the disk
/// before it returns: `synchronous = FULL` on the connection that writes.
struct SQLiteDurabilityTests {
    @Test("the writer commits with synchronous = FULL, on a new file and on reopening one")
    func writerIsFull() async throws {
        let fixture = try await StoreKind.sqlite.makeFixture()
        for _ in 0..<2 {
            let store = try #require(try await fixture.open() as? SQLiteStore)
            _ = try await store.createJob(newJob(), now: Date())
            // GRDB turns WAL on with `synchronous = NORMAL` after the connection is prepared;
            // the store must set FULL after that (2 = FULL, 1 = NORMAL).
            #expect(try store.writerSynchronousLevel() == 2)
        }
    }
}

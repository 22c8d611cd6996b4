import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Stream source conformance")
struct StreamConformanceTests {
    static func source(_ name: String, id: String = UUID().uuidString.lowercased(), at seconds: Double = 0, diarize: Bool = false) -> StreamSource {
        StreamSource(
            id: id, name: name, url: "rtsp://cam:secret@10.0.0.5/live", enabled: true, stallTimeoutSeconds: 15, model: "tiny.en",
            language: "en", diarize: diarize, createdAt: at(seconds)
        )
    }

    @Test("streams are created, listed oldest first, stopped and started, deleted; names are unique", arguments: StoreKind.allCases)
    func lifecycle(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let door = try await store.createStream(Self.source("door", at: 1))
        let yard = try await store.createStream(Self.source("yard", at: 2, diarize: true))
        #expect(door == Self.source("door", id: door.id, at: 1), "every field round-trips, the URL with its credentials")
        #expect(yard == Self.source("yard", id: yard.id, at: 2, diarize: true) && !door.diarize)
        #expect(try await store.streams().map(\.name) == ["door", "yard"])
        await #expect(throws: StoreError.duplicateStreamName("door")) { _ = try await store.createStream(Self.source("door")) }

        let stopped = try await store.setStreamEnabled(door.id, enabled: false)
        let reread = try await store.stream(door.id)
        #expect(!stopped.enabled && reread == stopped)
        #expect(try await store.setStreamEnabled(door.id, enabled: true).enabled)

        try await store.deleteStream(yard.id)
        #expect(try await store.streams().map(\.id) == [door.id])
        await #expect(throws: StoreError.streamNotFound(yard.id)) { _ = try await store.stream(yard.id) }
        await #expect(throws: StoreError.streamNotFound(yard.id)) { try await store.deleteStream(yard.id) }
        await #expect(throws: StoreError.streamNotFound(yard.id)) { _ = try await store.setStreamEnabled(yard.id, enabled: false) }
    }
}

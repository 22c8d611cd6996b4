import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import Logging
import Testing

@testable import EarshotServer

@Suite("Cleanup plugin")
struct CleanupPluginTests {
    /// Stores `content` as media and makes a job of it (unpinned, as the upload route leaves it).
    static func job(_ server: TestServer, content: String) async throws -> Job {
        let source = server.directory.appendingPathComponent("\(UUID().uuidString).bin")
        try Data(content.utf8).write(to: source)
        let stored = try server.media.ingest(fileAt: source)
        defer { server.media.unpin(stored.sha256) }
        return try await server.store.createJob(NewJob(options: TranscriptionOptions(model: "tiny.en"), media: MediaInfo(
            sha256: stored.sha256, filename: "\(content).wav", contentType: nil, sizeBytes: stored.sizeBytes, durationSeconds: 1
        ), maxAttempts: 1), now: Date())
    }

    static func succeed(_ server: TestServer, _ job: Job) async throws {
        let claimed = try #require(try await server.store.claimNext(holder: "w", leaseSeconds: 3600, models: nil, now: Date()))
        #expect(claimed.job.id == job.id)
        _ = try await server.store.complete(claimed.lease, transcript: Transcript(
            jobID: job.id, title: "t", source: "t", language: "en", model: "tiny.en", durationSeconds: 1, processingSeconds: 1,
            createdAt: Date(), segments: [Segment(start: 0, end: 1, text: "hi")]
        ), now: Date())
    }

    static func removedEvents(_ store: any Store) async throws -> [String] {
        try await store.events(after: 0, filter: EventTypeFilter(types: [.jobMediaRemoved]), correlationId: nil, limit: 100).compactMap(\.correlationId)
    }

    @Test("finished jobs' media is deleted; a file another job or an upload in flight still uses is kept; its retry is refused")
    func deletesOnlyUnusedMedia() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let plugin = try PluginSpec.cleanup(name: "cleanup", retentionSeconds: 0, intervalSeconds: 0.05).makePlugin()
        let host = PluginHost(plugins: [plugin], store: store, media: server.media, policy: PluginHostTests.fastPolicy, logger: Logger(label: "test"))

        let done = try await Self.job(server, content: "done")
        let sharedDone = try await Self.job(server, content: "shared")
        let reuploaded = try await Self.job(server, content: "again")
        // Created last, so the claims above never take it: it stays queued.
        let sharedQueued = try await Self.job(server, content: "shared")
        try await PluginHostTests.running(host) {
            try await PluginHostTests.eventually("the cleanup running") { host.status.allSatisfy { $0.state == .running } }
            try await Self.succeed(server, done)
            try await Self.succeed(server, sharedDone)
            try await PluginHostTests.eventually("the finished job's media removed") {
                let marked = try await store.job(done.id).media.removedAt != nil
                return marked && !server.media.contains(done.media.sha256)
            }
            #expect(server.media.contains(sharedDone.media.sha256), "a queued job still uses it")

            // The same content arrives while its only job finishes: pinned, so the file stays though
            // the old job is marked; the new job revives it.
            let source = server.directory.appendingPathComponent("again.bin")
            try Data("again".utf8).write(to: source)
            let pinned = try server.media.ingest(fileAt: source)
            try await Self.succeed(server, reuploaded)
            try await PluginHostTests.eventually("the re-uploaded content's old job marked") {
                try await Self.removedEvents(store).contains(reuploaded.id.rawValue)
            }
            #expect(server.media.contains(pinned.sha256), "an upload in flight holds the file")
            let revived = try await store.createJob(NewJob(options: TranscriptionOptions(model: "tiny.en"), media: reuploaded.media, maxAttempts: 1), now: Date())
            server.media.unpin(pinned.sha256)
            #expect(try await store.job(reuploaded.id).media.removedAt == nil)
            #expect(try await store.job(revived.id).state == .queued)

            // Once the last user finishes, the shared file goes too, and retrying its job is refused.
            _ = try await store.cancel(sharedQueued.id, now: Date())
            try await PluginHostTests.eventually("the shared media removed") { !server.media.contains(sharedDone.media.sha256) }
            let retry = try await server.send(.post, "/api/v1/jobs/\(sharedQueued.id)/retry")
            #expect(retry.status == 409 && retry.errorCode == "media_removed")
            #expect(try await store.job(sharedQueued.id).state == .cancelled)
            let shown = try await server.send(.get, "/api/v1/jobs/\(sharedQueued.id)")
            #expect(shown.json?["media"]?["removed_at"]?.string != nil)
        }
        #expect(Set(try await Self.removedEvents(store)) == Set([done, sharedDone, sharedQueued, reuploaded].map(\.id.rawValue)))
        #expect(server.media.contains(reuploaded.media.sha256), "the revived job's media is still there")
    }

    @Test("the configuration's cleanup entry is read and checked")
    func configuration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-cleanup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("earshot.yaml")
        try "plugins:\n  - type: cleanup\n    retention_days: 0.5\n  - type: cleanup\n    name: at-once\n    retention_days: 0\n    interval_minutes: 5\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader.load(configFile: file.path, environment: [:], flags: [:])
        #expect(loaded.plugins == [
            .cleanup(name: "cleanup", retentionSeconds: 43_200, intervalSeconds: 3_600),
            .cleanup(name: "at-once", retentionSeconds: 0, intervalSeconds: 300),
        ])
        for yaml in ["plugins:\n  - type: cleanup\n    retention_days: -1\n", "plugins:\n  - type: cleanup\n    interval_minutes: 0\n"] {
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            #expect {
                _ = try ConfigurationLoader.load(configFile: file.path, environment: [:], flags: [:])
            } throws: { error in "\(error)".contains("must be a") }
        }
    }
}

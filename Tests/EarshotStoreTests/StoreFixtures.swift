import EarshotCore
import EarshotStore
import Foundation
import Testing

/// A store under test: a SQLite file in a fresh temporary directory, or a fresh database on the
/// test PostgreSQL cluster.
struct StoreFixture {
    let kind: StoreKind
    let directory: URL
    let path: String
    let databaseURL: PostgresDatabaseURL?

    init(kind: StoreKind) async throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("earshot.sqlite").path
        databaseURL = kind == .postgres ? try await TestPostgres.createDatabase() : nil
    }

    /// Opens the store; call again to simulate a restart (or a second process) on the same data.
    func open(retryPolicy: RetryPolicy = RetryPolicy(baseDelaySeconds: 10, maxDelaySeconds: 1000)) async throws -> any Store {
        switch kind {
        case .sqlite: try SQLiteStore(path: path, retryPolicy: retryPolicy)
        case .postgres: try await PostgresStore(url: try #require(databaseURL), retryPolicy: retryPolicy)
        }
    }
}

/// Every conformance test runs against each store kind listed here, with the same cases.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres
    var description: String { rawValue }

    func makeFixture() async throws -> StoreFixture { try await StoreFixture(kind: self) }
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

func newJob(priority: Int = 0, sha: String = "abc", maxAttempts: Int = 3, name: String = "a.wav") -> NewJob {
    NewJob(
        priority: priority, options: TranscriptionOptions(model: "tiny.en"),
        media: MediaInfo(sha256: sha, filename: name, contentType: "audio/wav", sizeBytes: 10, durationSeconds: 1.5),
        maxAttempts: maxAttempts
    )
}

func sampleTranscript(for id: JobID) -> Transcript {
    Transcript(
        jobID: id, title: "a.wav", source: "a.wav", language: "en", model: "tiny.en", durationSeconds: 1.5,
        processingSeconds: 0.2, createdAt: at(5),
        segments: [
            Segment(start: 0, end: 0.7, text: " Hello", avgLogprob: -0.2, noSpeechProb: 0.01, words: [Word(start: 0, end: 0.7, text: "Hello", probability: 0.9)]),
            Segment(start: 0.7, end: 1.5, text: " world.", avgLogprob: -0.3, noSpeechProb: 0.02),
        ]
    )
}

/// Runs `body` and returns the lease loss it threw, or nil if it threw none.
func leaseLoss(_ body: () async throws -> Void) async -> LeaseLoss? {
    do {
        try await body()
        return nil
    } catch StoreError.leaseLost(_, let loss) {
        return loss
    } catch {
        return nil
    }
}

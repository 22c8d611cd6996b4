import EarshotAudio
import EarshotCore
import EarshotEngine
import EarshotNode
import EarshotStore
import Foundation
import Logging

/// The store, media and queue behind one `earshot transcribe` run.
struct TranscriptionSession {
    let store: SQLiteStore
    let media: MediaStore
    let directory: URL
    let isTemporary: Bool
    let logger: Logger
    let decoder = AudioDecoder()

    init(dataDir: String?, logger: Logger) throws {
        if let dataDir {
            directory = URL(fileURLWithPath: dataDir, isDirectory: true)
            isTemporary = false
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(UUID().uuidString)", isDirectory: true)
            isTemporary = true
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        self.logger = logger
    }

    func enqueue(path: String, options: TranscriptionOptions) async throws -> Job {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ValidationErrorText("no such file")
        }
        guard !isDirectory.boolValue else { throw ValidationErrorText("is a directory") }
        let stored = try media.ingest(fileAt: url)
        defer { media.unpin(stored.sha256) }
        guard stored.sizeBytes > 0 else { throw ValidationErrorText("the file is empty") }
        let info = MediaInfo(
            sha256: stored.sha256, filename: url.lastPathComponent, contentType: nil, sizeBytes: stored.sizeBytes,
            durationSeconds: await decoder.probeDuration(stored.url)
        )
        return try await store.createJob(NewJob(options: options, media: info, maxAttempts: 2), now: Date())
    }

    /// Runs one worker until every job is finished, reporting the jobs' state as they progress.
    func run(jobs ids: [JobID], recognizer: any SpeechRecognizer, diarizer: (any SpeakerDiarizing)?, onUpdate: @escaping ([Job]) -> Void) async throws -> [JobID: Job] {
        let signal = WorkSignal()
        let worker = TranscriptionWorker(
            configuration: WorkerConfiguration(
                holder: "cli:\(ProcessInfo.processInfo.processIdentifier)", idleCheckInterval: .milliseconds(200),
                scratchDirectory: directory.appendingPathComponent("scratch", isDirectory: true)
            ),
            source: LocalWorkSource(store: store, media: media, leaseSeconds: 30, signal: signal, canDiarize: diarizer != nil),
            recognizer: recognizer, diarizer: diarizer, decoder: decoder, logger: logger
        )
        let running = Task { await worker.runUntilStopped() }
        defer { running.cancel() }
        while true {
            var current: [Job] = []
            for id in ids { current.append(try await store.job(id)) }
            onUpdate(current)
            if current.allSatisfy({ $0.state.isTerminal }) {
                await worker.stop()
                await running.value
                return Dictionary(uniqueKeysWithValues: current.map { ($0.id, $0) })
            }
            // Redraw rate of the progress display, not a synchronization point.
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func cleanUp() {
        if isTemporary { try? FileManager.default.removeItem(at: directory) }
    }
}

import EarshotAudio
import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Logging
import Synchronization

/// `earshot serve --watch DIR`: audio and video files dropped into a folder are queued once.
///
/// A file is taken only when two scans in a row see the same size and modification time, it has
/// not changed for `watch_settle_seconds` (a copy in progress keeps changing, but may pause longer
/// than one scan interval) and no process still has it open for writing (where `/proc` shows it:
/// a stalled copy can pause longer than any settle time); it is then ingested, queued with the
/// server's default options, and moved to `DIR/done/`. Each queued file is also recorded in the store, so a file that cannot be moved
/// (a read-only share) is not queued again, after a restart either. Hidden files and the usual
/// partial-download names are ignored.
final class FolderWatcher: Sendable {
    let folder: URL
    private let store: any Store
    private let media: MediaStore
    private let decoder: AudioDecoder
    private let signal: WorkSignal
    private let configuration: ServerConfiguration
    private let logger: Logger
    /// What the previous scan saw: path → (size, modification time).
    private let seen = Mutex<[String: FileState]>([:])

    struct FileState: Equatable {
        var size: Int64
        var modified: Date
    }

    init(folder: URL, store: any Store, media: MediaStore, decoder: AudioDecoder, signal: WorkSignal, configuration: ServerConfiguration, logger: Logger) {
        self.folder = folder
        self.store = store
        self.media = media
        self.decoder = decoder
        self.signal = signal
        self.configuration = configuration
        self.logger = logger
    }

    /// One pass over the folder: queues the files that have settled since the last pass.
    func scan() async throws {
        let files = try FileManager.default.contentsOfDirectory(
            at: folder, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey], options: [.skipsHiddenFiles]
        )
        var now: [String: FileState] = [:]
        for file in files where Self.isCandidate(file) {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey])
            guard values?.isRegularFile == true, let size = values?.fileSize, let modified = values?.contentModificationDate else { continue }
            now[file.path] = FileState(size: Int64(size), modified: modified)
        }
        let previous = seen.withLock { seen in
            defer { seen = now }
            return seen
        }
        let settled = Date().addingTimeInterval(-configuration.watchSettleSeconds)
        for (path, state) in now.sorted(by: { $0.key < $1.key }) where state.size > 0 && previous[path] == state && state.modified <= settled {
            if OpenFileWriters.isOpenForWriting(path) {
                logger.debug("a watched file is still open for writing; waiting", metadata: ["file": "\(path)"])
                continue
            }
            do {
                try await queue(URL(fileURLWithPath: path), state: state)
            } catch {
                logger.error("could not queue a watched file", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
    }

    static func isCandidate(_ file: URL) -> Bool { MediaFileTypes.isMedia(file.lastPathComponent) }

    private func queue(_ file: URL, state: FileState) async throws {
        let key = "\(file.path)|\(state.size)|\(state.modified.timeIntervalSince1970)"
        guard !(try await store.isWatchedFileRecorded(key)) else { return }
        let stored = try media.ingest(fileAt: file)
        defer { media.unpin(stored.sha256) }
        let duration = await decoder.probeDuration(stored.url)
        let job = try await store.createJob(NewJob(
            options: TranscriptionOptions(model: configuration.model, beamSize: configuration.beamSize),
            media: MediaInfo(
                sha256: stored.sha256, filename: file.lastPathComponent, contentType: nil, sizeBytes: stored.sizeBytes, durationSeconds: duration
            ),
            maxAttempts: configuration.maxAttempts
        ), now: Date())
        try await store.recordWatchedFile(key, jobId: job.id, now: Date())
        signal.notify()
        logger.notice("queued a watched file", metadata: ["file": "\(file.lastPathComponent)", "job_id": "\(job.id)"])
        do {
            try moveToDone(file)
        } catch {
            logger.warning("could not move a queued file to done/; it stays, recorded as queued", metadata: ["file": "\(file.path)", "error": "\(error)"])
        }
    }

    private func moveToDone(_ file: URL) throws {
        let done = folder.appendingPathComponent("done", isDirectory: true)
        try FileManager.default.createDirectory(at: done, withIntermediateDirectories: true)
        var target = done.appendingPathComponent(file.lastPathComponent)
        var counter = 1
        while FileManager.default.fileExists(atPath: target.path) {
            counter += 1
            target = done.appendingPathComponent("\(file.deletingPathExtension().lastPathComponent)-\(counter).\(file.pathExtension)")
        }
        try FileManager.default.moveItem(at: file, to: target)
    }
}

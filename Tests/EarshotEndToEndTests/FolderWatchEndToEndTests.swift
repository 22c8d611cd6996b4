import EarshotCore
import Foundation
import Testing

/// `earshot serve --watch DIR` with a real engine: files copied into the folder are queued once,
/// whole, and moved to `done/`.
@Suite("Folder watch end to end", .serialized)
struct FolderWatchEndToEndTests {
    @Test("a file copied in slowly, stalling with it open, is queued once it stops growing and is closed, whole; it is transcribed and moved to done/; a restart queues nothing again; other files are left alone", .takesTurns)
    func watchedFolder() async throws {
        let directory = try TestEnvironment.temporaryDirectory("watch")
        let inbox = directory.appendingPathComponent("inbox", isDirectory: true)
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("earshot.yaml")
        try "watch_interval_seconds: 0.2\nwatch_settle_seconds: 1.5\n".write(to: config, atomically: true, encoding: .utf8)
        let arguments = ["--workers", "1", "--config", config.path, "--watch", inbox.path]
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: arguments)
        let watch = EventWatch("\(server.baseURL.absoluteString)/api/v1/events?types=job.created&after=0")
        try Data("notes".utf8).write(to: inbox.appendingPathComponent("notes.txt"))

        // A slow copy: four pieces 0.4 s apart while the folder is scanned every 0.2 s (so scans
        // see it unchanged between pieces), and once a stall longer than the settle time with the
        // file still open for writing. Taken any earlier than its last piece, the job's file would
        // be short.
        let clip = try TestEnvironment.librivoxClips()[0]
        let audio = try Data(contentsOf: clip.url)
        let target = inbox.appendingPathComponent("lecture.wav")
        #expect(FileManager.default.createFile(atPath: target.path, contents: nil))
        let handle = try FileHandle(forWritingTo: target)
        let piece = audio.count / 4 + 1
        for start in stride(from: 0, to: audio.count, by: piece) {
            try handle.write(contentsOf: audio[start..<min(start + piece, audio.count)])
            try handle.synchronize()
            // Pacing the copy, as a slow disk or network share would; not waiting on the server.
            try await Task.sleep(for: .milliseconds(start == piece ? 2_000 : 400))
        }
        try handle.close()

        try await watch.wait("a job from the folder") { !$0.isEmpty }
        guard case .job(let created)? = watch.all.first?.data else { throw TestFailure("not a job event") }
        let id = created.jobId.rawValue
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded")
        let media = try #require(job["media"] as? [String: Any])
        #expect(media["filename"] as? String == "lecture.wav" && (media["size_bytes"] as? Int) == audio.count, "the whole file: \(media)")
        let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
        let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.15, "WER \(errors)/\(words): \(text)")
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent("done/lecture.wav").path))
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent("notes.txt").path), "not media: left alone")
        #expect(await server.terminate() == 0)

        // Started again on the same folder and store: still one job.
        let again = try await ServerProcess(dataDirectory: directory, extraArguments: arguments)
        let listed = try await again.request("GET", "/api/v1/jobs").json()["jobs"] as? [[String: Any]]
        #expect(listed?.count == 1)
        #expect(await again.terminate() == 0)
    }
}

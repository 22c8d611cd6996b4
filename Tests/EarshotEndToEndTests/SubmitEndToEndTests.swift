import Foundation
import Testing

/// `earshot submit` against a real server: several inputs at once, followed to the end.
@Suite("earshot submit end to end", .serialized)
struct SubmitEndToEndTests {
    @Test("files and a folder are uploaded, followed through the event stream and saved; what cannot be sent is named and makes the exit non-zero without stopping the rest")
    func submitMany() async throws {
        let directory = try TestEnvironment.temporaryDirectory("submit")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "1"])
        let clips = try TestEnvironment.librivoxClips()
        let folder = directory.appendingPathComponent("lectures", isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("week2"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: clips[2].url, to: folder.appendingPathComponent("week2/second.wav"))
        try Data("not media".utf8).write(to: folder.appendingPathComponent("syllabus.txt"))
        let output = directory.appendingPathComponent("out")
        let cli = CLIEndToEndTests()

        let run = try await cli.earshot([
            "submit", "--server", server.baseURL.absoluteString, clips[0].url.path, folder.path, "/nonexistent/talk.wav",
            "http://127.0.0.1:9/metadata.wav", "--format", "txt", "-o", output.path,
        ])
        #expect(run.status != 0, "two inputs could not be sent")
        #expect(run.stderr.contains("/nonexistent/talk.wav: no such file"))
        #expect(run.stderr.contains("metadata.wav") && run.stderr.contains("private"), "the server's reason for the URL: \(run.stderr)")
        #expect(run.stderr.contains("second.wav: succeeded") && !run.stderr.contains("\r"), "a line per change into a pipe: \(run.stderr)")
        for (name, clip) in [(clips[0].url.deletingPathExtension().lastPathComponent, clips[0]), ("second", clips[2])] {
            let saved = output.appendingPathComponent("\(name).txt")
            #expect(run.stdout.contains(saved.path))
            let text = try String(contentsOf: saved, encoding: .utf8)
            let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
            #expect(Double(errors) / Double(words) <= 0.15, "\(name): WER \(errors)/\(words): \(text)")
        }
        let jobs = try await server.request("GET", "/api/v1/jobs").json()["jobs"] as? [[String: Any]]
        #expect(jobs?.count == 2, "syllabus.txt is not media")

        let clean = try await cli.earshot(["submit", "--server", server.baseURL.absoluteString, clips[4].url.path, "-o", output.path])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(await server.terminate() == 0)
    }
}

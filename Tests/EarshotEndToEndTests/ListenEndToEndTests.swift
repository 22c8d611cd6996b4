import Foundation
import Testing

/// `earshot listen` against a real server: a LibriVox reading played in real time through
/// ffmpeg, as a user without a microphone (or a script) would run it.
@Suite("earshot listen end to end", .serialized)
struct ListenEndToEndTests {
    @Test("a file played in real time: finals printed as lines with their times, stored as drafts of the session; refusals and mistakes exit non-zero with the reason")
    func listenToFile() async throws {
        let directory = try TestEnvironment.temporaryDirectory("listen")
        let config = directory.appendingPathComponent("earshot.yaml")
        try "live_reprocess_model: ''\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--config", config.path])
        let cli = CLIEndToEndTests()
        // Two readings (~30 words): on one short clip a single word heard differently was over the
        // WER bound (CI: 4 errors in 14 words, "coldhearted" for "cold hearted").
        let clips = try TestEnvironment.librivoxClips()[0..<2]
        let clip = (
            url: try await TestEnvironment.joined(clips.map(\.url), as: "reading.wav", in: directory),
            reference: clips.map(\.reference).joined(separator: " ")
        )
        let address = server.baseURL.absoluteString

        let run = try await cli.earshot([
            "listen", "--server", address, "--device", clip.url.path, "--language", "en", "--session-id", "cli-desk", "--timestamps",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(!run.stdout.contains("\r"), "into a pipe, no partials are drawn")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty && lines.allSatisfy { $0.wholeMatch(of: /\[\d\d:\d\d\.\d\] .+/) != nil }, "\(lines)")
        let text = lines.map { String($0.drop { $0 != "]" }.dropFirst(2)) }.joined(separator: " ")
        let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.15, "WER \(errors)/\(words): \(text)")
        let drafts = try await server.request("GET", "/api/v1/drafts?session_id=cli-desk").json()["drafts"] as? [[String: Any]]
        #expect(drafts?.count == lines.count)

        let refused = try await cli.earshot(["listen", "--server", address, "--device", clip.url.path, "--model", "huge-v9"])
        #expect(refused.status != 0 && refused.stderr.contains("the server refused: model must be one of"), "\(refused.stderr)")
        let missing = try await cli.earshot(["listen", "--server", address, "--device", "/nonexistent/talk.wav"])
        #expect(missing.status != 0 && missing.stderr.contains("no readable file at '/nonexistent/talk.wav'"))
        #expect(await server.terminate() == 0)
        let unreachable = try await cli.earshot(["listen", "--server", address, "--device", clip.url.path])
        #expect(unreachable.status != 0 && unreachable.stderr.contains("is `earshot serve` running?"), "\(unreachable.stderr)")
    }
}

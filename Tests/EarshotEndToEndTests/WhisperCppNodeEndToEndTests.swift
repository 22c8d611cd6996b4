import Foundation
import Testing

/// A node on the whisper.cpp engine, as a user without Python would run one.
@Suite("whisper.cpp node end to end", .serialized)
struct WhisperCppNodeEndToEndTests {
    static let adminToken = "e2e-admin-token"

    @Test("a whisper.cpp node with no Python and no model packages transcribes the clips and advertises its engine", .takesTurns)
    func nodeWithoutPython() async throws {
        let directory = try TestEnvironment.temporaryDirectory("whispercpp-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.adminToken])
        let config = try await NodeProcess.register(name: "native", server: server, adminToken: Self.adminToken, directory: directory)

        // Converted beforehand on a machine with the model packages, then copied into the node's models directory.
        let modelsDirectory = directory.appendingPathComponent("native-data/models").path
        let convert = try await NodeProcess.runEarshot(["models", "convert", "tiny.en", "--models-dir", modelsDirectory])
        #expect(convert.status == 0, "\(convert.output)")
        #expect(convert.output.contains("every tensor present"))

        // Nothing to run Python with and no packages to read: whisper.cpp needs neither.
        let node = try await NodeProcess(
            name: "native", configPath: config, directory: directory, extraArguments: ["--engine", "whisper.cpp"],
            python: "/nonexistent/python3", environment: ["EARSHOT_PYTHON": "/nonexistent/python3", "EARSHOT_MODEL_PACKAGES": "/nonexistent"]
        )
        let clips = try TestEnvironment.librivoxClips()
        var ids: [String] = []
        for clip in clips { ids.append(try await server.submit(clip.url)) }
        var errors = 0, words = 0
        for (id, clip) in zip(ids, clips) {
            let job = try await server.waitForJob(id)
            #expect(job["state"] as? String == "succeeded", "\(id): \(job)\n\(node.log.suffix(2000))")
            let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
            let score = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
            errors += score.errors
            words += score.words
        }
        #expect(Double(errors) / Double(words) <= 0.10)
        let nodes = try await server.request("GET", "/api/v1/nodes", bearer: Self.adminToken).json()["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.first?["engines"] as? [String] == ["whisper.cpp"])
        #expect(nodes.first?["diarization"] as? Bool == false, "no model packages, so no speaker model either")
        #expect(nodes.first?["jobs_done"] as? Int == clips.count)
        #expect(!node.log.contains("python"), "the node never mentions starting Python: \(node.log.suffix(1000))")
        #expect(await node.terminate() == 0)
    }
}

import EarshotCore
@testable import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Testing

/// The OpenAI-compatible routes without an engine: what they accept, what they queue, how they
/// answer a job that does not finish in time. (The `openai` package drives them against a real
/// engine in tests/openai.)
@Suite("OpenAI-compatible API")
struct OpenAICompatibilityTests {
    @Test("fields map onto a job's options; whisper-1 is the default model; unknown fields are ignored, bad values refused")
    func fields() throws {
        let configuration = ServerConfiguration()
        let request = try OpenAIRequest.parse([
            "model": "whisper-1", "response_format": "verbose_json", "timestamp_granularities[]": "word,segment", "prompt": "Austen.",
            "temperature": "0.2", "include[]": "logprobs", "stream": "false",
        ], configuration: configuration)
        #expect(request.format == .verboseJSON && request.words && !request.stream)
        #expect(request.parameters.options == TranscriptionOptions(
            model: configuration.model, beamSize: configuration.beamSize, wordTimestamps: true, prompt: "Austen.", temperature: 0.2
        ))
        #expect(request.parameters.priority == OpenAIRequest.priority)
        #expect(try OpenAIRequest.parse([:], configuration: configuration).format == .json)
        for (fields, code) in [
            (["response_format": "xml"], "invalid_response_format"), (["timestamp_granularities[]": "char"], "invalid_timestamp_granularities"),
            (["model": "huge"], "unknown_model"), (["temperature": "3"], "invalid_temperature"), (["stream": "maybe"], "invalid_stream"),
        ] {
            do {
                _ = try OpenAIRequest.parse(fields, configuration: configuration)
                Issue.record("\(fields) was accepted")
            } catch let error as APIError {
                #expect(error.code == code, "\(fields)")
            }
        }
    }

    @Test("a request becomes a job with priority 100 and the prompt; one that outlives openai_wait_seconds is answered 504 naming the job")
    func queuesAndTimesOut() async throws {
        var configuration = ServerConfiguration()
        configuration.openAIWaitSeconds = 1
        let server = try TestServer(configuration: configuration)
        defer { server.cleanUp() }
        let recorder = ConformanceRecorder(server: server, document: try OpenAPIAgreementTests.document())
        let boundary = "openai-boundary"
        let path = "/v1/audio/transcriptions"
        let answer = try await recorder.exchange(
            .post, path, path, expect: 504, code: "timeout", headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
            body: OpenAPIAgreementTests.multipart(
                boundary: boundary, fields: ["model": "whisper-1", "prompt": "Dashwood", "response_format": "text"],
                file: ("talk.wav", OpenAPIAgreementTests.silentWAV())
            )
        )
        let job = try #require(try await server.store.jobs(JobQuery()).jobs.first)
        #expect(answer.json?["error"]?["message"]?.string?.contains(job.id.rawValue) == true)
        #expect(job.priority == 100 && job.options.prompt == "Dashwood" && job.state == .queued)
        _ = try await recorder.exchange(
            .post, path, path, expect: 400, code: "invalid_response_format", headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
            body: OpenAPIAgreementTests.multipart(boundary: boundary, fields: ["response_format": "xml"], file: ("talk.wav", OpenAPIAgreementTests.silentWAV()))
        )
        let models = try await recorder.exchange(.get, "/v1/models", "/v1/models", expect: 200)
        #expect(models.json?["data"]?.array?.compactMap { $0["id"]?.string }.contains("whisper-1") == true)
        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")
    }
}

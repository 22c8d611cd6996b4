import EarshotCore
import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Stream sources and LLM suggestions through the routes, every answer checked against
/// openapi.yaml (this server has no live engine, so streams are configured but never run).
@Suite("Stream and suggestion API against the document")
struct LiveAPIAgreementTests {
    /// Sends a JSON body through the recorder, which checks the answer against the document.
    struct JSONExchange {
        let recorder: ConformanceRecorder

        func callAsFunction(
            _ method: HTTPRequest.Method, _ template: String, _ uri: String, expect status: Int, code: String? = nil, body: String = ""
        ) async throws -> Exchange {
            try await recorder.exchange(method, template, uri, expect: status, code: code, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
    }

    @Test("streams: create, list, get, start (no engine: 503), stop, delete; bad input in words; URL credentials never shown")
    func streams() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let recorder = ConformanceRecorder(server: server, document: try OpenAPIAgreementTests.document())
        let exchange = JSONExchange(recorder: recorder)
        let streams = "/api/v1/streams"
        let item = "\(streams)/{id}"
        let created = try await exchange(.post, streams, streams, expect: 201, body: #"{"name":"door","url":"rtsp://viewer:hunter22@10.0.0.5/live","start":false}"#)
        let id = try #require(created.json?["id"]?.string)
        #expect(created.json?["url"]?.string == "rtsp://viewer:••••••@10.0.0.5/live" && created.json?["state"]?.string == "stopped")
        #expect(created.json?["enabled"] == .bool(false) && created.json?["session_id"]?.string == "stream-\(id)")
        #expect(created.json?["diarize"] == .bool(false))
        _ = try await exchange(.post, streams, streams, expect: 409, code: "duplicate_name", body: #"{"name":"door","url":"http://host/a"}"#)
        _ = try await exchange(.post, streams, streams, expect: 400, code: "invalid_url", body: #"{"name":"x","url":"file:///etc/passwd"}"#)
        _ = try await exchange(.post, streams, streams, expect: 400, code: "unknown_model", body: #"{"name":"x","url":"http://host/a","model":"huge"}"#)
        _ = try await exchange(.post, streams, streams, expect: 400, code: "invalid_json", body: "{")
        _ = try await exchange(
            .post, streams, streams, expect: 400, code: "diarization_unavailable", body: #"{"name":"x","url":"http://host/a","diarize":true}"#
        )
        let listed = try await exchange(.get, streams, streams, expect: 200)
        #expect(listed.json?["streams"]?.array?.count == 1 && !listed.text.contains("hunter22"))
        _ = try await exchange(.get, item, "\(streams)/\(id)", expect: 200)
        _ = try await exchange(.get, item, "\(streams)/nope", expect: 400, code: "invalid_id")
        _ = try await exchange(.get, item, "\(streams)/\(UUID().uuidString)", expect: 404, code: "not_found")
        _ = try await exchange(.post, "\(item)/start", "\(streams)/\(id)/start", expect: 503, code: "unavailable")
        let stopped = try await exchange(.post, "\(item)/stop", "\(streams)/\(id)/stop", expect: 200)
        #expect(stopped.json?["enabled"] == .bool(false))
        _ = try await exchange(.delete, item, "\(streams)/\(id)", expect: 204)
        _ = try await exchange(.delete, item, "\(streams)/\(id)", expect: 404, code: "not_found")
        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")

        var configuration = ServerConfiguration()
        configuration.adminToken = "admin-secret"
        let guarded = try TestServer(configuration: configuration)
        defer { guarded.cleanUp() }
        #expect(try await guarded.send(.get, streams).status == 401)
    }

    @Test("suggestions: approve some (a HUMAN revision), approve all (an LLM revision), dismiss; decided ones answer 409")
    func suggestions() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let recorder = ConformanceRecorder(server: server, document: try OpenAPIAgreementTests.document())
        let exchange = JSONExchange(recorder: recorder)
        func drafted(_ text: String) async throws -> String {
            let draft = try await server.store.startDraft(NewDraft(sessionId: "mic", offsetSeconds: 0, model: "tiny.en", language: "en"), now: Date())
            _ = try await server.store.endDraft(draft.id, result: DraftResult(
                durationSeconds: 2, language: "en", segments: [Segment(start: 0, end: 2, text: text)], hasAudio: false
            ), now: Date())
            let suggested = try await server.store.addSuggestion(
                draft.id, baseText: text, text: "He was not an ill-disposed young man, but rather cold-hearted.", model: "llama3", now: Date()
            )
            #expect(suggested.suggestions.first?.changes.map(\.replacement) == ["ill-disposed", "man,", "cold-hearted."])
            return draft.id
        }
        let approve = "/api/v1/drafts/{id}/suggestions/{n}/approve"
        let dismiss = "/api/v1/drafts/{id}/suggestions/{n}/dismiss"
        let text = "He was not an old-sposed young man but rather coldhearted."

        let some = try await drafted(text)
        let picked = try await exchange(.post, approve, "/api/v1/drafts/\(some)/suggestions/1/approve", expect: 200, body: #"{"changes":[0,2],"author":"ann"}"#)
        #expect(picked.json?["text"]?.string == "He was not an ill-disposed young man but rather cold-hearted.")
        #expect(picked.json?["revisions"]?.array?.last?["source"]?.string == "human" && picked.json?["suggestions"]?.array?.first?["state"]?.string == "applied")
        _ = try await exchange(.post, approve, "/api/v1/drafts/\(some)/suggestions/1/approve", expect: 409, code: "suggestion_decided")

        let all = try await drafted(text)
        _ = try await exchange(.post, approve, "/api/v1/drafts/\(all)/suggestions/1/approve", expect: 400, code: "invalid_changes", body: #"{"changes":[5]}"#)
        _ = try await exchange(.post, approve, "/api/v1/drafts/\(all)/suggestions/2/approve", expect: 404, code: "suggestion_not_found")
        _ = try await exchange(.post, approve, "/api/v1/drafts/\(all)/suggestions/zero/approve", expect: 400, code: "invalid_suggestion")
        let everything = try await exchange(.post, approve, "/api/v1/drafts/\(all)/suggestions/1/approve", expect: 200)
        #expect(everything.json?["text"]?.string == "He was not an ill-disposed young man, but rather cold-hearted.")
        #expect(everything.json?["revisions"]?.array?.last?["source"]?.string == "llm" && everything.json?["revisions"]?.array?.last?["author"]?.string == "llama3")

        let dismissed = try await drafted(text)
        let answer = try await exchange(.post, dismiss, "/api/v1/drafts/\(dismissed)/suggestions/1/dismiss", expect: 200, body: #"{"author":"bob"}"#)
        #expect(answer.json?["text"]?.string == text && answer.json?["suggestions"]?.array?.first?["decided_by"]?.string == "bob")
        _ = try await exchange(.post, dismiss, "/api/v1/drafts/\(dismissed)/suggestions/1/dismiss", expect: 409, code: "suggestion_decided")
        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")
    }
}

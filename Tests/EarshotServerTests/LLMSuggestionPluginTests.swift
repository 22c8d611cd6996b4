import EarshotCore
@testable import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// The `llm-suggestions` plugin against a stand-in for an OpenAI-compatible chat API (no LLM can
/// run on this machine): a real HTTP server on loopback that answers like one, with a fixed
/// correction, and records what it was sent.
@Suite("LLM suggestions plugin")
struct LLMSuggestionPluginTests {
    /// What the stand-in received.
    final class Requests: Sendable {
        let bodies = Mutex<[(authorization: String?, body: Data)]>([])
        var count: Int { bodies.withLock { $0.count } }

        func json(_ index: Int) -> [String: Any] {
            let body = bodies.withLock { $0[index].body }
            return (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
    }

    /// Starts the stand-in; `answer` maps the utterance it is asked to correct to its reply.
    static func chatAPI(_ requests: Requests, answer: @escaping @Sendable (String) -> String) async throws -> LoopbackServer {
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let data = Data(body.readableBytesView)
            let authorization = request.headers[.authorization]
            requests.bodies.withLock { $0.append((authorization, data)) }
            let json = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            let messages = json["messages"] as? [[String: Any]] ?? []
            let prompt = messages.last?["content"] as? String ?? ""
            let utterance = prompt.components(separatedBy: "Utterance to correct:\n").last ?? ""
            let reply: [String: Any] = ["id": "chatcmpl-1", "object": "chat.completion", "choices": [["index": 0, "message": ["role": "assistant", "content": answer(utterance)], "finish_reason": "stop"]]]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: reply))))
        }
        return try await LoopbackServer.start(router)
    }

    /// Waits for the store's events until `condition` holds (no polling: the store signals commits).
    static func until(_ store: any Store, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let generation = store.eventSignal.generation
            if try await condition() { return }
            guard ContinuousClock.now < deadline else { throw PluginError("timed out waiting for \(what)") }
            await store.eventSignal.wait(timeout: deadline - .now, unlessNotifiedSince: generation)
        }
    }

    @Test("each ended draft gets the model's correction as pending changes, with the previous utterance as context and the key sent; nothing is applied; unchanged text stores nothing")
    func suggestsWithoutApplying() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let requests = Requests()
        let fixes = ["old-sposed": "ill-disposed", "coldhearted": "cold-hearted"]
        let api = try await Self.chatAPI(requests) { utterance in
            fixes.reduce(utterance) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
        let spec = try PluginSpec.parse([[
            "type": "llm-suggestions", "url": "http://127.0.0.1:\(api.port)/v1", "model": "llama3.1", "api_key": "sk-test", "timeout_seconds": 120,
        ]], file: "earshot.yaml")
        let host = PluginHost(plugins: try spec.map { try $0.makePlugin() }, store: store, media: server.media, policy: PluginHostTests.fastPolicy, logger: Logger(label: "test"))

        func say(_ text: String) async throws -> String {
            let draft = try await store.startDraft(NewDraft(sessionId: "desk", offsetSeconds: 0, model: "tiny.en", language: "en"), now: Date())
            _ = try await store.endDraft(draft.id, result: DraftResult(durationSeconds: 2, language: "en", segments: [Segment(start: 0, end: 2, text: text)], hasAudio: false), now: Date())
            return draft.id
        }
        try await PluginHostTests.running(host) {
            // A new plugin starts at the end of the log: wait until it is there.
            try await PluginHostTests.eventually("the plugin running") { host.status.allSatisfy { $0.state == .running } }
            let first = try await say("He was not an old-sposed young man.")
            try await Self.until(store, "the first suggestion") { try await store.draft(first).suggestions.count == 1 }
            let second = try await say("Unless to be rather coldhearted is to be old-sposed.")
            try await Self.until(store, "the second suggestion") { try await store.draft(second).suggestions.count == 1 }
            let unchanged = try await say("He might even have been made amiable himself.")
            // Handled in log order: once a later draft has its suggestion, the unchanged one was handled.
            let last = try await say("So coldhearted.")
            try await Self.until(store, "the last suggestion") { try await store.draft(last).suggestions.count == 1 }

            let suggested = try await store.draft(second)
            let suggestion = try #require(suggested.suggestions.first)
            #expect(suggested.text == "Unless to be rather coldhearted is to be old-sposed.", "a suggestion is never applied by itself")
            #expect(suggestion.state == .pending && suggestion.model == "llama3.1")
            #expect(suggestion.changes.map(\.replacement) == ["cold-hearted", "ill-disposed."])
            #expect(try await store.draft(unchanged).suggestions.isEmpty, "an answer that changes nothing is no suggestion")
            let types = try await store.events(after: 0, filter: EventTypeFilter(types: [.draftSuggested]), correlationId: "desk", limit: 10).count
            #expect(types == 3 && requests.count == 4)
        }
        try await api.stop()

        #expect(requests.bodies.withLock { $0.allSatisfy { $0.authorization == "Bearer sk-test" } })
        #expect((0..<requests.count).allSatisfy { requests.json($0)["model"] as? String == "llama3.1" })
        let second = (requests.json(1)["messages"] as? [[String: Any]])?.last?["content"] as? String ?? ""
        #expect(second.contains("Previous utterance") && second.contains("He was not an old-sposed young man."), "\(second)")
        #expect(LLMSuggestionPlugin.cleaned("Corrected text: \"Hello there.\"") == "Hello there.")
        #expect(throws: (any Error).self) { _ = try PluginSpec.parse([["type": "llm-suggestions", "url": "ftp://x", "model": "m"]], file: "f") }
    }
}

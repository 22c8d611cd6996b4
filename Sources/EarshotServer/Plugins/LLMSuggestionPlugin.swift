import AsyncHTTPClient
import EarshotCore
import EarshotStore
import Foundation
import NIOCore
import NIOHTTP1

/// `llm-suggestions`: sends each ended draft to an OpenAI-compatible chat endpoint (Ollama,
/// llama.cpp's server, vLLM, OpenAI…) for correction, and stores the answer as suggested changes
/// for a person to approve or dismiss. Nothing is applied on its own.
///
/// The previous utterance of the same session goes along as context, so names and topics carry
/// over. A draft that already has a suggestion is skipped, which makes redelivery harmless.
final class LLMSuggestionPlugin: Plugin, Sendable {
    let name: String
    /// The API's base URL, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended.
    let url: String
    let model: String
    let apiKey: String?
    let timeout: Duration

    var subscription: EventTypeFilter { EventTypeFilter(types: [.draftEnded]) }

    static let instructions = """
        You correct speech-recognition transcripts. Fix misheard words, spelling, casing and \
        punctuation. Do not rephrase, summarize, add or remove content. Answer with the corrected \
        text of the utterance only, nothing else.
        """

    init(name: String, url: String, model: String, apiKey: String?, timeout: Duration) {
        self.name = name
        self.url = url
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
    }

    func start() async throws {}

    func handle(_ event: Event, context: PluginContext) async throws {
        guard case .draft(let data) = event.data else { return }
        let draft = try await context.store.draft(data.draftId)
        let text = draft.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard draft.suggestions.isEmpty, !text.isEmpty else { return }
        let earlier = try await context.store.drafts(sessionId: draft.sessionId, limit: 2, cursor: nil).drafts
            .first { $0.id != draft.id && $0.createdAt <= draft.createdAt }?.text
        let answer = try await complete(text, context: earlier)
        _ = try await context.store.addSuggestion(draft.id, baseText: text, text: answer, model: model, now: Date())
    }

    private struct ChatRequest: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        var model: String
        var messages: [Message]
        var temperature = 0.0
        var stream = false
    }

    private struct ChatResponse: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
        }
        var choices: [Choice]
    }

    /// The model's corrected text for `text`.
    func complete(_ text: String, context earlier: String?) async throws -> String {
        var prompt = ""
        if let earlier, !earlier.isEmpty { prompt += "Previous utterance (context only, do not repeat it):\n\(earlier)\n\n" }
        prompt += "Utterance to correct:\n\(text)"
        let body = ChatRequest(model: model, messages: [.init(role: "system", content: Self.instructions), .init(role: "user", content: prompt)])
        var request = HTTPClientRequest(url: url.hasSuffix("/") ? url + "chat/completions" : url + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "earshot/\(EarshotVersion.current)")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(max(1, timeout.components.seconds)))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw PluginError("\(URLCredentials.masked(url)) answered HTTP \(response.status.code): \(String(buffer: bytes).prefix(200))")
        }
        guard let decoded = try? JSONDecoder().decode(ChatResponse.self, from: Data(bytes.readableBytesView)),
              let content = decoded.choices.first?.message.content
        else {
            throw PluginError("\(URLCredentials.masked(url)) answered something that is not a chat completion")
        }
        return Self.cleaned(content)
    }

    /// The answer without the quotes or label some models wrap it in.
    static func cleaned(_ answer: String) -> String {
        var text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        for label in ["Corrected text:", "Corrected:"] where text.hasPrefix(label) {
            text = String(text.dropFirst(label.count)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if text.count >= 2, let first = text.first, let last = text.last, (first == "\"" && last == "\"") || (first == "“" && last == "”") {
            text = String(text.dropFirst().dropLast())
        }
        return text
    }
}

import AsyncHTTPClient
import EarshotClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads a Server-Sent Events stream over a real HTTP connection.
enum EventStreamClient {
    /// Connects, reads until `count` messages arrived, then drops the connection.
    static func read(
        _ url: String, lastEventID: String? = nil, count: Int, timeout: TimeAmount = .seconds(60)
    ) async throws -> [ServerSentEventParser.Message] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw TestFailure("SSE \(url) answered \(response.status.code): \(String(buffer: body))")
        }
        var parser = ServerSentEventParser()
        var messages: [ServerSentEventParser.Message] = []
        for try await chunk in response.body {
            messages += parser.feed(String(buffer: chunk))
            if messages.count >= count { return Array(messages.prefix(count)) }
        }
        return messages
    }
}

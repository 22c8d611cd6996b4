import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A minimal Server-Sent Events reader over a real HTTP connection.
struct EventStreamClient {
    struct Message: Equatable {
        var id: String?
        var event: String?
        var data: String
    }

    /// Connects, reads until `count` messages arrived, then drops the connection.
    static func read(_ url: String, lastEventID: String? = nil, count: Int, timeout: TimeAmount = .seconds(60)) async throws -> [Message] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw TestFailure("SSE \(url) answered \(response.status.code): \(String(buffer: body))")
        }
        var messages: [Message] = []
        var pending = ""
        var current = Message(data: "")
        var hasData = false
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending.removeSubrange(...newline)
                if line.isEmpty {
                    if hasData { messages.append(current) }
                    current = Message(data: "")
                    hasData = false
                    if messages.count >= count { return messages }
                } else if line.hasPrefix(":") {
                    continue
                } else if let colon = line.firstIndex(of: ":") {
                    let field = String(line[..<colon])
                    var value = String(line[line.index(after: colon)...])
                    if value.hasPrefix(" ") { value.removeFirst() }
                    switch field {
                    case "id": current.id = value
                    case "event": current.event = value
                    case "data":
                        current.data += (hasData ? "\n" : "") + value
                        hasData = true
                    default: break
                    }
                }
            }
        }
        return messages
    }
}

import EarshotCore
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// JSON request/response exchanges with an Earshot server, shared by the node and admin clients.
struct HTTPTransport: Sendable {
    let baseURL: URL
    let bearerToken: String?

    /// Builds a request for `path` under the base URL; `timeout` bounds the whole exchange, so
    /// long polls must pass more than their wait.
    func makeRequest(_ method: String, _ path: String, query: [URLQueryItem] = [], timeout: TimeInterval = 30) -> URLRequest {
        var url = baseURL
        for part in path.split(separator: "/") { url.appendPathComponent(String(part)) }
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let bearerToken { request.setValue("Bearer \(bearerToken)", forHTTPHeaderField: "Authorization") }
        return request
    }

    /// Sends the request with an optional JSON body; a non-2xx status throws ``EarshotAPIError``.
    func send(
        _ method: String, _ path: String, query: [URLQueryItem] = [], json body: (any Encodable)? = nil, timeout: TimeInterval = 30
    ) async throws -> (Data, HTTPURLResponse) {
        var request = makeRequest(method, path, query: query, timeout: timeout)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = try EarshotJSON.encoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.perform(request)
        guard (200..<300).contains(response.statusCode) else {
            throw EarshotAPIError(status: response.statusCode, body: data)
        }
        return (data, response)
    }

    /// Sends and decodes a JSON reply.
    func send<Reply: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], json body: (any Encodable)? = nil,
        timeout: TimeInterval = 30, decoding: Reply.Type
    ) async throws -> Reply {
        let (data, _) = try await send(method, path, query: query, json: body, timeout: timeout)
        return try EarshotJSON.decoder().decode(Reply.self, from: data)
    }

    /// Runs one request on the shared session. Written over the completion-handler API rather than
    /// `data(for:)` so that cancelling the calling task reliably cancels the request on Linux too,
    /// which is what lets a long poll end at shutdown.
    static func perform(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        let handle = CancellableTask()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, HTTPURLResponse), any Error>) in
                let task = URLSession.shared.dataTask(with: request) { data, response, error in
                    if let error {
                        if (error as? URLError)?.code == .cancelled {
                            continuation.resume(throwing: CancellationError())
                        } else {
                            continuation.resume(throwing: EarshotConnectionError(url: request.url, error: error))
                        }
                    } else if let response = response as? HTTPURLResponse {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: EarshotConnectionError(url: request.url?.absoluteString ?? "?", reason: "not an HTTP response"))
                    }
                }
                handle.attach(task)
                task.resume()
            }
        } onCancel: {
            handle.cancel()
        }
    }
}

/// Lets a cancellation handler reach a URLSession task that may not have been created yet.
final class CancellableTask: Sendable {
    private struct State {
        var task: URLSessionTask?
        var cancelled = false
    }

    // URLSessionTask is thread-safe but not marked Sendable everywhere, hence the unchecked box.
    private let state = Mutex<UncheckedBox<State>>(UncheckedBox(State()))

    func attach(_ task: URLSessionTask) {
        let cancelled = state.withLock { box in
            box.value.task = task
            return box.value.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { box in
            box.value.cancelled = true
            return box.value.task
        }
        task?.cancel()
    }
}

/// Carries a value that is only touched under a lock across a Sendable boundary.
struct UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

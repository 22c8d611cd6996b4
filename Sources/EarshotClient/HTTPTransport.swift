import AsyncHTTPClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

/// The process's HTTP client for talking to Earshot servers.
///
/// AsyncHTTPClient rather than `URLSession`: on Linux, `URLSession` (libcurl underneath) spent
/// ~1 ms on a small GET and ~4 ms on a small POST over loopback, and it allows only 6 connections
/// per host, while a node holds one long-poll per slot besides its heartbeat and progress calls.
enum EarshotHTTPClient {
    /// Long enough for the longest claim long-poll (30 s) plus the server's answer.
    static let readTimeout = TimeAmount.seconds(75)

    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.timeout = .init(connect: .seconds(10), read: readTimeout)
        // A redirect would carry the bearer key to wherever it points; servers never redirect API calls.
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // Lives for the whole process, like URLSession.shared, so it is never shut down.
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}

/// JSON request/response exchanges with an Earshot server, shared by the node and admin clients.
struct HTTPTransport: Sendable {
    let baseURL: URL
    let bearerToken: String?

    /// Largest JSON reply read into memory.
    static let maxReplyBytes = 64 << 20

    /// The absolute URL of `path` under the base URL, with `query` appended.
    func url(_ path: String, query: [URLQueryItem] = []) -> URL {
        var url = baseURL
        for part in path.split(separator: "/") { url.appendPathComponent(String(part)) }
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        return url
    }

    /// A request for `path` with the bearer token set.
    func makeRequest(_ method: HTTPMethod, _ path: String, query: [URLQueryItem] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path, query: query).absoluteString)
        request.method = method
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        return request
    }

    /// Sends the request with an optional JSON body; a non-2xx status throws ``EarshotAPIError``.
    /// `timeout` bounds the whole exchange, so long polls must pass more than their wait.
    func send(
        _ method: HTTPMethod, _ path: String, query: [URLQueryItem] = [], json body: (any Encodable)? = nil, timeout: TimeAmount = .seconds(30)
    ) async throws -> (body: Data, status: Int) {
        var request = makeRequest(method, path, query: query)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            let encoded = try EarshotJSON.encoder().encode(body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: encoded))
        }
        let (data, status) = try await Self.perform(request, timeout: timeout)
        guard (200..<300).contains(status) else { throw EarshotAPIError(status: status, body: data) }
        return (data, status)
    }

    /// Sends and decodes a JSON reply.
    func send<Reply: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [URLQueryItem] = [], json body: (any Encodable)? = nil,
        timeout: TimeAmount = .seconds(30), decoding: Reply.Type
    ) async throws -> Reply {
        let (data, _) = try await send(method, path, query: query, json: body, timeout: timeout)
        return try EarshotJSON.decoder().decode(Reply.self, from: data)
    }

    /// Runs one request and reads the whole reply. Cancelling the calling task cancels the request
    /// (that is what lets a long poll end at shutdown) and surfaces as `CancellationError`.
    static func perform(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> (Data, Int) {
        do {
            let response = try await EarshotHTTPClient.shared.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: maxReplyBytes)
            return (Data(body.readableBytesView), Int(response.status.code))
        } catch {
            throw connectionError(error, url: request.url)
        }
    }

    /// What a transport failure is reported as: cancellation stays cancellation.
    static func connectionError(_ error: any Error, url: String) -> any Error {
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        if let clientError = error as? HTTPClientError, clientError == .cancelled { return CancellationError() }
        return EarshotConnectionError(url: url, reason: String(describing: error))
    }
}

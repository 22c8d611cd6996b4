import EarshotServer
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

extension RouterResponder where Context == EarshotRequestContext {
    /// Sends a request through the router in process, as a connection would; the body is left unread.
    func respond(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8] = [], logLevel: Logger.Level = .warning
    ) async throws -> Response {
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:8080", path: uri, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body))
        )
        var logger = Logger(label: "earshot.router-test")
        logger.logLevel = logLevel
        let context = EarshotRequestContext(source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(), logger: logger))
        return try await respond(to: request, context: context)
    }
}

import EarshotCore
import Hummingbird
import EarshotCore
import HummingbirdWebSocket
import NIOCore

/// The server's request context: Hummingbird's basics, WebSocket upgrades, the peer's address (rate limits
/// are kept per client address), and who is calling (set by ``AccessControlMiddleware``).
public struct EarshotRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?
    /// The client's address: the peer's, or the one a trusted proxy forwarded (``ClientAddressMiddleware``).
    public var clientAddress: String
    /// The caller, once the access-control middleware has resolved its credentials.
    public var principal: Principal = .anonymous
    /// The browser session the caller signed in with, if any (its CSRF token goes to the pages).
    public var session: UserSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

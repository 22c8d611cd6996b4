import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The server's request context: Hummingbird's basics, WebSocket upgrades, and the peer's address (rate limits
/// are kept per client address).
public struct EarshotRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}

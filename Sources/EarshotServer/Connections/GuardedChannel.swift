import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Hummingbird's HTTP/1 + WebSocket child channel with a ``ConnectionGuard`` behind its HTTP parser.
struct GuardedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limits = limits
        return FirstSetups.oneAtATime { inner.setup(channel: channel, logger: logger) }.flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(limits: limits))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// The first connections' pipelines are configured one at a time. A CI run saw a server crash on
/// its first connection inside the Swift runtime (a null type metadata while checking a generic
/// requirement of NIO's pipeline set-up) as two event loops configured their first connections at
/// once; the types' metadata is instantiated on first use. Not reproduced since, so this is a
/// precaution: after the first few, set-ups run freely and cost nothing extra.
enum FirstSetups {
    private static let lock = NIOLock()
    private static let remaining = Atomic<Int>(8)

    static func oneAtATime<T>(_ body: () -> T) -> T {
        guard remaining.load(ordering: .relaxed) > 0 else { return body() }
        return lock.withLock {
            defer { remaining.subtract(1, ordering: .relaxed) }
            return body()
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with WebSocket upgrades through `webSocketRouter`, every connection guarded by `limits`.
    static func guardedHTTP1WebSocketUpgrade<WSResponderBuilder: HTTPResponderBuilder & _HB_SendableMetatype>(
        webSocketRouter: WSResponderBuilder, limits: ConnectionLimits
    ) -> HTTPServerBuilder where WSResponderBuilder.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            GuardedChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: .init()),
                limits: limits
            )
        }
    }
}

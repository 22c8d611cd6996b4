import NIOCore
import NIOHTTP1

/// How long a connection may take over the parts of a request the client controls.
public struct ConnectionLimits: Sendable, Hashable {
    /// A request's head must be complete this long after the connection opens or the previous
    /// response ends (a slow-loris client dribbling header bytes, and idle keep-alive connections).
    public var headerTimeout: TimeAmount
    /// A request's body may pause at most this long between chunks.
    public var bodyIdleTimeout: TimeAmount

    public init(headerTimeout: TimeAmount, bodyIdleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
    }
}

/// Guards one HTTP connection: answers a request the HTTP parser rejects with 400 and closes (the
/// WebSocket-upgrade pipeline leaves such a connection open for ever otherwise), and closes, with
/// 408 when no response is under way, a connection whose client is too slow with a request's head
/// or body; an idle keep-alive connection is closed after the header timeout without an answer. It waits for nothing of the server's own making: once a request has arrived, however
/// long its answer takes (long polls, event streams), no timer runs. It steps aside on a WebSocket
/// upgrade.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ConnectionLimits
    private var timer: Scheduled<Void>?
    private var receivingRequest = false
    private var responding = false
    private var answeredOne = false
    private var finished = false

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(limits.headerTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(limits.headerTimeout, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let part = context.channel._channelCore.tryUnwrapData(data, as: HTTPServerRequestPart.self) {
            switch part {
            case .head:
                receivingRequest = true
                arm(limits.bodyIdleTimeout, context: context)
            case .body:
                arm(limits.bodyIdleTimeout, context: context)
            case .end:
                receivingRequest = false
                disarm()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let part = context.channel._channelCore.tryUnwrapData(data, as: HTTPServerResponsePart.self) {
            switch part {
            case .head: responding = true
            case .body: break
            case .end:
                responding = false
                answeredOne = true
                // Keep-alive: the next request's head is due within the header timeout.
                if !receivingRequest { arm(limits.headerTimeout, context: context) }
            }
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HTTPServerUpgradeEvents {
            // A WebSocket now: its frames are not HTTP requests, and its own handlers keep it.
            disarm()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        refuse(.badRequest, context: context)
    }

    private func arm(_ delay: TimeAmount, context: ChannelHandlerContext) {
        disarm()
        guard !finished else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            // An idle keep-alive connection is closed without a word: a 408 there could be read by a
            // client as the answer to the request it is just sending.
            handler.refuse(.requestTimeout, context: context, silently: handler.answeredOne && !handler.receivingRequest)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    /// Answers `status` and closes, or only closes when a response is already under way (or `silently`).
    private func refuse(_ status: HTTPResponseStatus, context: ChannelHandlerContext, silently: Bool = false) {
        guard !finished else { return }
        finished = true
        disarm()
        if !responding, !silently {
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: ["connection": "close", "content-length": "0"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }
}

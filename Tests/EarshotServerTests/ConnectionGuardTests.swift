import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import EarshotServer
import Testing

/// The connection guard on an embedded channel, whose clock the test moves.
@Suite("Connection guard")
struct ConnectionGuardTests {
    static let limits = ConnectionLimits(headerTimeout: .seconds(30), bodyIdleTimeout: .seconds(60))

    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConnectionGuard(limits: Self.limits))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func status(_ channel: EmbeddedChannel) throws -> HTTPResponseStatus? {
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        return head.status
    }

    @Test("a head that does not arrive in time is answered 408 and the connection closed")
    func headerTimeout() throws {
        let channel = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try status(channel) == nil && channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try status(channel) == .requestTimeout)
        #expect(!channel.isActive)
    }

    @Test("a body that stalls is cut; one that keeps coming is not")
    func bodyIdle() throws {
        let channel = try channel()
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/v1/jobs")))
        for _ in 0..<5 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(50))
            try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "chunk")))
        }
        #expect(try status(channel) == nil && channel.isActive, "250 s of a slow but steady upload")
        channel.embeddedEventLoop.advanceTime(by: .seconds(61))
        #expect(try status(channel) == .requestTimeout)
        #expect(!channel.isActive)
    }

    @Test("no timer runs while the server answers (long polls, event streams); keep-alive waits are limited")
    func serverTimeIsFree() throws {
        let channel = try channel()
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/events")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .hours(2))
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        channel.embeddedEventLoop.advanceTime(by: .hours(2))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try status(channel) == .ok)
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "an idle keep-alive connection is closed after the header timeout")
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil, "without a 408 a client could take for its next answer")
    }

    @Test("a request the parser rejects is answered 400 and closed at once")
    func parserError() throws {
        let channel = try channel()
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidHeaderToken)
        #expect(try status(channel) == .badRequest)
        #expect(!channel.isActive)
    }

    @Test("after a WebSocket upgrade the guard steps aside")
    func upgrade() throws {
        let channel = try channel()
        channel.pipeline.fireUserInboundEventTriggered(
            HTTPServerUpgradeEvents.upgradeComplete(toProtocol: "websocket", upgradeRequest: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/ws"))
        )
        channel.embeddedEventLoop.advanceTime(by: .hours(1))
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        #expect(channel.isActive)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ConnectionGuard.self) }
    }
}

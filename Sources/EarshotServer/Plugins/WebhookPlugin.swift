import AsyncHTTPClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// `webhook`: POSTs each subscribed event as JSON to a URL.
///
/// Headers: `X-Earshot-Event` (type), `X-Earshot-Delivery` (the event id, the same on every
/// retry, so receivers can drop duplicates) and, with a secret, `X-Earshot-Signature:
/// sha256=<hex HMAC-SHA256 of the body>`. Anything but a 2xx answer is a failure, retried by the
/// plugin host with backoff. The latest deliveries are kept for `GET /api/v1/plugins`.
final class WebhookPlugin: Plugin, Sendable {
    let name: String
    let url: String
    let secret: String?
    let subscription: EventTypeFilter
    let timeout: Duration
    private let recent = Mutex<[WebhookDelivery]>([])

    static let keptDeliveries = 100

    init(name: String, url: String, secret: String?, subscription: EventTypeFilter, timeout: Duration) {
        self.name = name
        self.url = url
        self.secret = secret
        self.subscription = subscription
        self.timeout = timeout
    }

    /// The latest deliveries, newest last.
    var deliveries: [WebhookDelivery] { recent.withLock { $0 } }

    func start() async throws {}

    func handle(_ event: Event, context: PluginContext) async throws {
        let body = try EarshotJSON.encoder().encode(event)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "earshot/\(EarshotVersion.current)")
        request.headers.add(name: "X-Earshot-Event", value: event.type.rawValue)
        request.headers.add(name: "X-Earshot-Delivery", value: event.id)
        if let secret {
            request.headers.add(name: "X-Earshot-Signature", value: "sha256=" + HMACSHA256.hex(key: Array(secret.utf8), message: Array(body)))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let seconds = timeout.components.seconds
        var delivery = WebhookDelivery(eventSeq: event.seq, eventId: event.id, time: Date(), status: nil, error: nil)
        defer { record(delivery) }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(max(1, seconds)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            delivery.status = Int(response.status.code)
            guard (200..<300).contains(response.status.code) else {
                delivery.error = "HTTP \(response.status.code)"
                throw PluginError("\(url) answered HTTP \(response.status.code)")
            }
        } catch let error as PluginError {
            throw error
        } catch {
            delivery.error = "\(error)"
            throw error
        }
    }

    private func record(_ delivery: WebhookDelivery) {
        recent.withLock { list in
            list.append(delivery)
            if list.count > Self.keptDeliveries { list.removeFirst(list.count - Self.keptDeliveries) }
        }
    }
}

/// One attempt to deliver an event to a webhook.
public struct WebhookDelivery: Codable, Sendable, Hashable {
    public var eventSeq: Int64
    public var eventId: String
    public var time: Date
    /// The HTTP status, when the receiver answered.
    public var status: Int?
    public var error: String?
}

import AsyncHTTPClient
import EarshotClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Follows a server's SSE event stream in the background, so a test can wait for the event it
/// expects (no sleeps, no polling) and look at everything that came.
final class EventWatch: Sendable {
    /// What the reader task and the test share.
    private final class Received: Sendable {
        let events = Mutex<[Event]>([])
        let signal = ChangeSignal()
    }

    private let received = Received()
    private let reader: Task<Void, any Error>

    /// Starts reading `url` (an `/api/v1/events?…` address) from its beginning, as `bearer` when given.
    init(_ url: String, bearer: String? = nil) {
        let shared = received
        reader = Task {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                let received = parser.feed(String(buffer: chunk)).compactMap { message in
                    try? EarshotJSON.decoder().decode(Event.self, from: Data(message.data.utf8))
                }
                guard !received.isEmpty else { continue }
                shared.events.withLock { $0 += received }
                shared.signal.notify()
            }
        }
    }

    deinit { reader.cancel() }

    var all: [Event] { received.events.withLock { $0 } }

    /// Waits until `predicate` holds for the events so far; throws after `timeout` seconds.
    func wait(_ what: String, timeout: Double = 120, until predicate: @Sendable ([Event]) throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while true {
            let generation = received.signal.generation
            if try predicate(all) { return }
            let left = deadline - .now
            guard left > .zero else { throw TestFailure("timed out waiting for \(what); events: \(all.map(\.type.rawValue))") }
            await received.signal.wait(timeout: left, unlessNotifiedSince: generation)
        }
    }
}

import EarshotCore
import EarshotNodeStatus
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The node status UI over real HTTP: escaping of untrusted values, slot progress, the queue
/// section when the server is unreachable, and the JSON twin of the page.
@Suite struct NodeStatusServerTests {
    @Test func servesPageAndJSON() async throws {
        let model = NodeStatusModel(
            name: "lab <b>&", nodeID: "node-123",
            // Nothing listens on port 1, so fetching the queue stats fails at once.
            serverURL: URL(string: "http://127.0.0.1:1")!,
            settings: NodeSettings(slots: 2, models: ["tiny.en", "base"], python: "/usr/bin/python3", threads: 3, dataDir: "/tmp/earshot-node", diarization: true)
        )
        model.setSlotReader {
            [SlotStatus(index: 1, jobId: "job-abc", progress: 0.42, filename: "talk.mp3", model: "tiny.en"), SlotStatus(index: 2)]
        }
        model.recordHeartbeat(.failure(TestError()))

        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let server = NodeStatusServer(model: model, port: 0, queueTimeout: 2, logger: Logger(label: "test")) { _, port in
            portSink.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        #expect(port > 0)
        let base = try #require(URL(string: "http://127.0.0.1:\(port)"))

        let (pageData, pageResponse) = try await fetch(base.appendingPathComponent("/"))
        #expect(pageResponse.statusCode == 200)
        #expect(pageResponse.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/html") == true)
        let page = String(decoding: pageData, as: UTF8.self)
        #expect(page.contains("lab &lt;b&gt;&amp;"))
        #expect(!page.contains("<b>&"))
        #expect(page.contains("node-123"))
        #expect(page.contains("job-abc"))
        #expect(page.contains("42%"))
        #expect(page.contains("<progress"))
        #expect(page.contains("yes (speaker model installed)"))
        #expect(page.contains("talk.mp3"))
        #expect(page.contains("idle"))
        #expect(page.contains("Queue"))
        #expect(page.contains("unavailable"))
        #expect(page.contains("not connected"))
        #expect(page.contains("oops &amp; &lt;more&gt;"))
        #expect(page.contains("faster-whisper"))
        #expect(page.contains("CPUs</th><td>\(ProcessInfo.processInfo.activeProcessorCount)"))
        #expect(page.contains(#"http-equiv="refresh""#))
        #expect(!page.contains("<script"))

        let (jsonData, jsonResponse) = try await fetch(base.appendingPathComponent("status.json"))
        #expect(jsonResponse.statusCode == 200)
        let report = try EarshotJSON.decoder().decode(NodeStatusReport.self, from: jsonData)
        #expect(report.status.name == "lab <b>&")
        #expect(report.status.nodeId == "node-123")
        #expect(report.status.connected == false)
        #expect(report.status.lastHeartbeatError == "oops & <more>")
        #expect(report.slots.count == 2)
        #expect(report.slots.first?.jobId == "job-abc")
        #expect(report.slots.first?.progress == 0.42)
        #expect(report.slots.last?.jobId == nil)
        #expect(report.queue.stats == nil)
        #expect(report.queue.error != nil)
        #expect(report.settings.engine == "faster-whisper")
        #expect(report.settings.models == ["tiny.en", "base"])
        #expect(report.system.cpuCount == ProcessInfo.processInfo.activeProcessorCount)
        // snake_case on the wire
        let json = String(decoding: jsonData, as: UTF8.self)
        #expect(json.contains("\"node_id\""))
        #expect(json.contains("\"cpu_count\""))

        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// A stand-in Earshot server answering only the queue stats, to show them on the page.
    @Test func showsQueueStatsFromServer() async throws {
        let router = Router()
        router.get("api/v1/queue/stats") { _, _ in
            let body = #"{"queued":7,"running":2,"succeeded":30,"failed":1,"cancelled":0,"last_hour":{"jobs_succeeded":5,"audio_seconds":600}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (serverPorts, serverSink) = AsyncStream<Int>.makeStream()
        let fakeServer = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { serverSink.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "test")
        )
        let serverGroup = ServiceGroup(configuration: .init(services: [fakeServer], logger: Logger(label: "test")))
        let serverRunning = Task { try await serverGroup.run() }
        var serverIterator = serverPorts.makeAsyncIterator()
        let serverPort = try #require(await serverIterator.next())

        let model = NodeStatusModel(
            name: "n", nodeID: "id", serverURL: try #require(URL(string: "http://127.0.0.1:\(serverPort)")),
            settings: NodeSettings(slots: 1, models: ["tiny.en"], python: "python3", threads: 1, dataDir: "/tmp")
        )
        // The page's 2-second default is for a server that is down; this one is up, and on a loaded
        // machine (CI ran this test 85 s) an answer can take longer than that.
        let report = await NodeStatusServer(model: model, port: 0, queueTimeout: 120).report()
        #expect(report.queue.error == nil)
        #expect(report.queue.stats?.queued == 7)
        #expect(report.queue.stats?.lastHour.jobsSucceeded == 5)
        #expect(report.slots == [SlotStatus(index: 1)])

        await serverGroup.triggerGracefulShutdown()
        try await serverRunning.value
    }

    private struct TestError: Error, CustomStringConvertible {
        var description: String { "oops & <more>" }
    }

    private func fetch(_ url: URL) async throws -> (Data, HTTPURLResponse) {
        let (data, response) = try await URLSession.shared.data(for: URLRequest(url: url, timeoutInterval: 10))
        return (data, try #require(response as? HTTPURLResponse))
    }
}

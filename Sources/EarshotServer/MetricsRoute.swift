import EarshotCore
import EarshotStore
import Foundation
import Hummingbird
import Metrics
import NIOCore
import Prometheus

/// Process-wide Prometheus registry behind swift-metrics. Bootstrapped once, however many servers
/// a process (a test run) starts.
public enum EarshotMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// `GET /metrics`: job gauges are refreshed from the store at scrape time, so they are right
/// even with several servers or nodes changing the same store.
struct MetricsRoute: Sendable {
    let store: any Store

    func register(on router: Router<some RequestContext>) {
        router.get("metrics") { _, _ in
            let counts = try await self.store.stateCounts()
            for state in JobState.allCases {
                Gauge(label: "earshot_jobs", dimensions: [("state", state.rawValue)]).record(counts[state] ?? 0)
            }
            Gauge(label: "earshot_queue_depth").record(counts[.queued] ?? 0)
            var buffer: [UInt8] = []
            EarshotMetrics.registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }
}

import EarshotCore
import EarshotStore
import Foundation

/// `earshot-bench micro [DIR]`: the store's hot operations one at a time, in µs per call.
func runMicro(_ arguments: [String]) async throws {
    let dir = arguments.first ?? NSTemporaryDirectory()
    let parent = URL(fileURLWithPath: dir).appendingPathComponent("micro-\(UUID().uuidString.prefix(6))")
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    let store = try SQLiteStore(path: parent.appendingPathComponent("e.sqlite").path)
    let count = Int(arguments.dropFirst().first ?? "") ?? 2000
    var clock = ContinuousClock.now
    for _ in 0..<count { _ = try await store.createJob(SyntheticEngine.newJob(), now: Date()) }
    print("createJob \(((ContinuousClock.now - clock).seconds) * 1e6 / Double(count)) us")
    var claiming = Duration.zero
    var completing = Duration.zero
    var ids: [JobID] = []
    for _ in 0..<count {
        clock = .now
        let claimed = try await store.claimNext(holder: "h", leaseSeconds: 120, models: nil, canDiarize: false, now: Date())!
        claiming += ContinuousClock.now - clock
        clock = .now
        _ = try await store.complete(claimed.lease, transcript: SyntheticEngine.transcript(for: claimed.job), now: Date())
        completing += ContinuousClock.now - clock
        ids.append(claimed.job.id)
    }
    print("claimNext \(claiming.seconds * 1e6 / Double(count)) us")
    print("complete \(completing.seconds * 1e6 / Double(count)) us")
    clock = .now
    for id in ids { _ = try await store.job(id) }
    print("job read \(((ContinuousClock.now - clock).seconds) * 1e6 / Double(count)) us")
}

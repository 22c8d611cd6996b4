import EarshotCore
import Foundation

/// Shows job progress: a redrawn bar with percent and real-time factor on a terminal, plain
/// lines (one per state change) when stderr is a pipe or file.
final class ProgressDisplay {
    private let labels: [String]
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastStates: [JobState?]
    private var drewBar = false

    init(labels: [String]) {
        self.labels = labels
        self.lastStates = Array(repeating: nil, count: labels.count)
    }

    func update(_ jobs: [Job]) {
        if isTerminal {
            drawBar(jobs)
        } else {
            for (index, job) in jobs.enumerated() where lastStates[index] != job.state {
                lastStates[index] = job.state
                emit("\(labels[index]): \(job.state.rawValue)\(Self.detail(job))\n")
            }
        }
    }

    func finish() {
        if isTerminal, drewBar { emit("\n") }
    }

    private func drawBar(_ jobs: [Job]) {
        guard let index = jobs.firstIndex(where: { $0.state == .running }) ?? jobs.lastIndex(where: { $0.state.isTerminal }) else { return }
        let job = jobs[index]
        let fraction = job.state == .succeeded ? 1 : job.progress
        let width = 30
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let done = jobs.filter { $0.state.isTerminal }.count
        let line = String(format: "\r[%@] %3d%% %@ (%d/%d)%@", bar, Int(fraction * 100), labels[index], done, jobs.count, Self.detail(job))
        emit(line + "\u{1B}[K")
        drewBar = true
    }

    /// Real-time factor: seconds of audio transcribed per second of wall time.
    static func detail(_ job: Job) -> String {
        guard let started = job.startedAt, let duration = job.media.durationSeconds, duration > 0 else { return "" }
        let end = job.finishedAt ?? Date()
        let elapsed = end.timeIntervalSince(started)
        guard elapsed > 0.05 else { return "" }
        let covered = job.state == .succeeded ? duration : duration * job.progress
        guard covered > 0 else { return "" }
        return String(format: " %.1fx real time", covered / elapsed)
    }

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

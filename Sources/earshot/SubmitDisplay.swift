import EarshotClient
import EarshotCore
import Foundation

/// `earshot submit`'s progress: on a terminal one bar per job, redrawn in place; into a pipe or
/// file a line whenever a job changes state.
final class SubmitDisplay {
    private let labels: [String]
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastStates: [JobState?]
    private var drawnLines = 0

    init(labels: [String]) {
        self.labels = labels
        lastStates = Array(repeating: nil, count: labels.count)
    }

    func show(_ jobs: [SubmittedJob]) {
        guard isTerminal else {
            for (index, job) in jobs.enumerated() where lastStates[index] != job.state {
                lastStates[index] = job.state
                emit("\(labels[index]): \(job.state.rawValue)\n")
            }
            return
        }
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        let width = labels.map(\.count).max().map { min($0, 40) } ?? 10
        for (index, job) in jobs.enumerated() {
            let fraction = job.state == .succeeded ? 1 : min(max(job.progress, 0), 1)
            let filled = Int((fraction * 24).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 24 - filled)
            let label = labels[index].count > width ? String(labels[index].prefix(width - 1)) + "…" : labels[index].padding(toLength: width, withPad: " ", startingAt: 0)
            text += "\r\(label) [\(bar)] \(String(format: "%3d%%", Int(fraction * 100))) \(job.state.rawValue)\u{1B}[K\n"
        }
        drawnLines = jobs.count
        emit(text)
    }

    func finish() {}

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

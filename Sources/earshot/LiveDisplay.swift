import EarshotClient
import Foundation
import Synchronization

/// Prints a live session: on a terminal the open utterance's partial text is redrawn in place on
/// one line and replaced by the final when it comes; into a pipe only finals are printed.
final class LiveDisplay: Sendable {
    private let inPlace: Bool
    private let timestamps: Bool
    private let partialShown = Mutex(false)

    init(inPlace: Bool, timestamps: Bool) {
        self.inPlace = inPlace
        self.timestamps = timestamps
    }

    func show(_ message: LiveMessage) {
        switch message.type {
        case "partial":
            guard inPlace else { return }
            let text = Self.text(of: message)
            // Only the line's tail fits: a long utterance shows its newest words.
            let tail = text.count > 110 ? "…" + text.suffix(109) : text
            write("\r\u{1B}[2K\u{1B}[2m\(tail)\u{1B}[0m")
            partialShown.withLock { $0 = true }
        case "final":
            let text = message.text ?? Self.text(of: message)
            let clear = partialShown.withLock { shown in
                defer { shown = false }
                return shown
            }
            guard !text.isEmpty || clear else { return }
            var line = text
            if timestamps, let start = message.segments?.first?.start { line = "[\(Self.clock(start))] " + line }
            write((clear ? "\r\u{1B}[2K" : "") + line + "\n")
        case "error":
            FileHandle.standardError.write(Data("earshot: \(message.message ?? message.code ?? "error")\n".utf8))
        default:
            break
        }
    }

    /// Leaves the terminal on a fresh line.
    func finish() {
        if partialShown.withLock({ $0 }) { write("\r\u{1B}[2K") }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func text(of message: LiveMessage) -> String {
        (message.segments ?? []).map(\.text).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    static func clock(_ seconds: Double) -> String {
        let minutes = Int(seconds) / 60
        return String(format: "%02d:%04.1f", minutes, seconds - Double(minutes * 60))
    }
}

/// ffmpeg's last error lines, to explain a capture that failed.
final class CaptureErrors: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > 10 { lines.removeFirst() }
        }
    }

    var last: String? { lines.withLock { $0.last } }
}

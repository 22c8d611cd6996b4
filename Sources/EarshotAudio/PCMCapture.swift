import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A long-running ffmpeg that turns a live source (an RTSP camera, an HTTP stream, a microphone,
/// or a file played at real-time speed) into 16 kHz mono f32le audio, delivered as it comes.
///
/// Both pipes are always drained on threads of their own, so ffmpeg never blocks on a full pipe
/// (TheWallflower's hang); standard error arrives line by line for the caller to keep or log.
public final class PCMCapture: Sendable {
    /// What to capture.
    public enum Input: Sendable, Hashable {
        /// A URL ffmpeg opens itself, allowed to use only `protocols` (a playlist or redirect
        /// cannot lead it elsewhere). A `file:` URL is read at real-time speed, like a live source.
        case url(String, protocols: String)
        /// An input device: `format` is `pulse` or `alsa`, `device` e.g. `default`.
        case device(format: String, device: String)
    }

    /// Raw f32le sample bytes as ffmpeg writes them; finishes when ffmpeg closes its output.
    public let audio: AsyncStream<Data>
    private let process: Process
    private let exit = ExitWaiter()

    /// Starts ffmpeg; `onErrorLine` receives each line it writes to standard error.
    public init(_ input: Input, ffmpeg: String = "ffmpeg", onErrorLine: @escaping @Sendable (String) -> Void) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ffmpeg] + Self.arguments(for: input)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let exit = self.exit
        process.terminationHandler = { exit.finish(ExitStatus(code: $0.terminationStatus, signaled: $0.terminationReason == .uncaughtSignal)) }
        let (audio, continuation) = AsyncStream<Data>.makeStream()
        self.audio = audio
        self.process = process
        try process.run()
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()

        let output = stdout.fileHandleForReading
        Thread.detachNewThread {
            while true {
                let data = output.availableData
                if data.isEmpty { break }
                continuation.yield(data)
            }
            try? output.close()
            continuation.finish()
        }
        let errors = stderr.fileHandleForReading
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let data = errors.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if !line.trimmingCharacters(in: .whitespaces).isEmpty { onErrorLine(line) }
                }
            }
            if !pending.isEmpty { onErrorLine(String(decoding: pending, as: UTF8.self)) }
            try? errors.close()
        }
    }

    static func arguments(for input: Input) -> [String] {
        var arguments = ["-hide_banner", "-nostdin", "-loglevel", "error"]
        switch input {
        case .url(let url, let protocols):
            // ffmpeg's default probe reads 5 MB before the first sample comes out: minutes of a
            // live stream. 32 KB is enough to recognise WAV, MP3, AAC/ADTS or an RTSP session.
            arguments += ["-protocol_whitelist", protocols, "-probesize", "32768", "-analyzeduration", "1000000"]
            if url.lowercased().hasPrefix("rtsp") { arguments += ["-rtsp_transport", "tcp"] }
            if url.lowercased().hasPrefix("file:") { arguments += ["-re"] }
            arguments += ["-i", url]
        case .device(let format, let device):
            arguments += ["-f", format, "-i", device]
        }
        return arguments + ["-vn", "-ac", "1", "-ar", "16000", "-f", "f32le", "pipe:1"]
    }

    /// Asks ffmpeg to stop (SIGTERM), and kills it if it has not within `grace`: one stuck in a
    /// network read must not outlive its stream.
    public func stop(grace: Duration = .seconds(2)) async {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        let exit = self.exit
        let killer = Task {
            try await Task.sleep(for: grace)
            _ = exit
            kill(pid, SIGKILL)
        }
        _ = await exit.wait()
        killer.cancel()
    }

    /// ffmpeg's exit code once it has ended (a signal's number when killed).
    public func exitCode() async -> Int32 { await exit.wait().code }
}

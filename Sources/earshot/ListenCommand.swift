import ArgumentParser
import EarshotAudio
import EarshotClient
import Foundation
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `earshot listen`: live transcription of a microphone (or a file played in real time).
struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Transcribe a microphone live, or play a file in real time to the server.",
        discussion: """
            Captures through ffmpeg (PulseAudio or ALSA) and streams 16 kHz mono audio to the \
            server's /api/v1/live. On a terminal, partial text is shown in place and each final \
            utterance is printed as a line; into a pipe, only finals are printed. Ctrl-C stops \
            capturing; what was said is still transcribed before the command exits (a second \
            Ctrl-C quits at once). Every utterance is stored on the server as a draft.
            """
    )

    @Option(help: "The server.")
    var server = "http://127.0.0.1:8080"

    @Option(help: ArgumentHelp("An input device ('default', 'hw:1', a PulseAudio source) or an audio file to play in real time.", valueName: "device|file"))
    var device = "default"

    @Option(help: "How to open the device: pulse or alsa (default: pulse when a PulseAudio server runs, else alsa).")
    var inputFormat: String?

    @Option(help: "The live model (default: the server's).")
    var model: String?

    @Option(help: "The spoken language, e.g. en (default: the model's or detected).")
    var language: String?

    @Option(help: "Groups the drafts of this session (default: a new id).")
    var sessionId: String?

    @Flag(help: "Start each final line with its time in the session, [mm:ss.s].")
    var timestamps = false

    var deviceIsFile: Bool { device.contains("/") || device.contains(".") }

    func validate() throws {
        guard let url = URL(string: server), url.host != nil, ["http", "https"].contains(url.scheme ?? "") else {
            throw ValidationError("--server must be a URL such as http://127.0.0.1:8080")
        }
        if deviceIsFile {
            guard FileManager.default.isReadableFile(atPath: device) else { throw ValidationError("no readable file at '\(device)'") }
        }
        if let inputFormat, !["pulse", "alsa"].contains(inputFormat) { throw ValidationError("--input-format must be pulse or alsa") }
    }

    func run() async throws {
        let input: PCMCapture.Input
        if deviceIsFile {
            input = .url(URL(fileURLWithPath: device).standardizedFileURL.absoluteString, protocols: "file")
        } else {
            input = .device(format: inputFormat ?? Self.defaultInputFormat(), device: device)
        }
        let errors = CaptureErrors()
        let capture: PCMCapture
        do {
            capture = try PCMCapture(input) { errors.append($0) }
        } catch {
            throw ValidationError("could not start ffmpeg: \(error)")
        }
        let stopper = Task {
            // The first Ctrl-C ends the capture (the server still finishes what it heard); a
            // second one quits.
            var interrupts = 0
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                interrupts += 1
                if interrupts == 1 {
                    FileHandle.standardError.write(Data("\nearshot: stopping; waiting for the last words (Ctrl-C again to quit)\n".utf8))
                    await capture.stop()
                } else {
                    Foundation.exit(130)
                }
            }
        }
        defer { stopper.cancel() }

        let display = LiveDisplay(inPlace: isatty(STDOUT_FILENO) == 1, timestamps: timestamps)
        let last: LiveMessage?
        do {
            last = try await LiveClient.stream(
                to: URL(string: server)!, options: LiveSessionOptions(model: model, language: language, sessionId: sessionId),
                audio: capture.audio
            ) { display.show($0) }
        } catch {
            await capture.stop()
            throw ListenError("could not reach \(server) (\(error)); is `earshot serve` running?")
        }
        await capture.stop()
        display.finish()
        if let last, last.type == "error" {
            let retry = last.retryAfterSeconds.map { " (retry in \($0) s)" } ?? ""
            throw ListenError("the server refused: \(last.message ?? last.code ?? "error")\(retry)")
        }
        let code = await capture.exitCode()
        if last?.type != "end" || (code != 0 && code != 255 && code != 15) {
            let reason = errors.last.map { ": \($0)" } ?? ""
            throw ListenError("the session ended early; ffmpeg exited with \(code)\(reason)")
        }
    }

    /// PulseAudio (or PipeWire's PulseAudio server) when one runs for this user, else ALSA.
    static func defaultInputFormat() -> String {
        if ProcessInfo.processInfo.environment["PULSE_SERVER"] != nil { return "pulse" }
        let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] ?? "/run/user/\(getuid())"
        return FileManager.default.fileExists(atPath: runtime + "/pulse/native") ? "pulse" : "alsa"
    }
}

/// A failure `earshot listen` explains in one line.
struct ListenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

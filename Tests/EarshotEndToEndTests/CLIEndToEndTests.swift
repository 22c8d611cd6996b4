import Foundation
import Testing

/// `earshot transcribe` as a user runs it.
@Suite("CLI end to end", .serialized)
struct CLIEndToEndTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func earshot(_ arguments: [String]) async throws -> Run {
        let process = Process()
        process.executableURL = TestEnvironment.earshotBinary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["EARSHOT_PYTHON"] = TestEnvironment.python
        process.environment = environment
        let directory = try TestEnvironment.temporaryDirectory("cli-out")
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let status = await process.exitStatus()
        return Run(
            status: status,
            stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8)
        )
    }

    @Test("transcribe writes a valid VTT with the right words")
    func writesVTT() async throws {
        let output = try TestEnvironment.temporaryDirectory("cli-vtt")
        let clip = try TestEnvironment.librivoxClips()[3]
        let run = try await earshot(["transcribe", clip.url.path, "--format", "vtt", "-o", output.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let vttURL = output.appendingPathComponent(clip.url.deletingPathExtension().lastPathComponent + ".vtt")
        let vtt = try String(contentsOf: vttURL, encoding: .utf8)
        let lines = vtt.components(separatedBy: "\n")
        #expect(lines.first == "WEBVTT")
        let cues = lines.filter { $0.contains(" --> ") }
        #expect(!cues.isEmpty)
        let cuePattern = /^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$/
        #expect(cues.allSatisfy { $0.wholeMatch(of: cuePattern) != nil }, "\(cues)")
        let text = lines.filter { !$0.isEmpty && $0 != "WEBVTT" && !$0.contains(" --> ") }.joined(separator: " ")
        let result = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(result.errors) / Double(result.words) <= 0.15, "\(text)")
        #expect(!run.stderr.contains("\r"), "no progress bar when stderr is not a terminal")
    }

    @Test("text goes to stdout; a missing file fails with a one-line reason and non-zero exit")
    func failuresAreReported() async throws {
        let clip = try TestEnvironment.librivoxClips()[0]
        let run = try await earshot(["transcribe", clip.url.path, "/nonexistent/talk.mp3"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("earshot: /nonexistent/talk.mp3: no such file"))
        let result = WordErrorRate.errors(reference: clip.reference, hypothesis: run.stdout)
        #expect(Double(result.errors) / Double(result.words) <= 0.15, "the good file was still transcribed: \(run.stdout)")
    }

    @Test("serve --help documents every setting; bad settings fail before starting")
    func serveHelpAndValidation() async throws {
        let help = try await earshot(["serve", "--help"])
        #expect(help.status == 0)
        for flag in ["--host", "--port", "--data-dir", "--workers", "--model", "--config", "--max-upload-bytes", "--lease-seconds"] {
            #expect(help.stdout.contains(flag), "\(flag) missing from help")
        }
        let bad = try await earshot(["serve", "--port", "70000"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("port must be 0...65535"))
        let version = try await earshot(["version"])
        #expect(version.stdout.hasPrefix("earshot "))
    }

    @Test("transcribe --diarize names three speakers in the SRT; impossible speaker bounds fail before any work")
    func diarizes() async throws {
        let directory = try TestEnvironment.temporaryDirectory("cli-diarize")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (file, _) = try DiarizationEndToEndTests.conversation(in: directory)
        let run = try await earshot(["transcribe", "--diarize", "--format", "srt", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["Speaker 1: ", "Speaker 2: ", "Speaker 3: "] { #expect(run.stdout.contains(name), "\(run.stdout)") }
        #expect(!run.stdout.contains("Speaker 4"))

        let bad = try await earshot(["transcribe", "--min-speakers", "3", "--max-speakers", "2", file.path])
        #expect(bad.status != 0 && bad.stderr.contains("--min-speakers (3) is more than --max-speakers (2)"), "\(bad.stderr)")
    }
}

import Foundation

/// Paths to the real parts the end-to-end tests use: the built `earshot` binary, the project's
/// Python venv, Debian's pocketsphinx-testdata clips.
enum TestEnvironment {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var earshotBinary: URL {
        if let path = ProcessInfo.processInfo.environment["EARSHOT_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/earshot")
    }

    static var python: String { packageRoot.appendingPathComponent(".venv/bin/python").path }

    static let librivox = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox")

    /// The LibriVox clips with their reference transcriptions, from the package's `transcription` file.
    static func librivoxClips() throws -> [(url: URL, reference: String)] {
        let text = try String(contentsOf: librivox.appendingPathComponent("transcription"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            // "<s> words </s> (clip-id)"
            guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { return nil }
            let id = line[line.index(after: open)..<close]
            let words = line[..<open].replacingOccurrences(of: "<s>", with: "").replacingOccurrences(of: "</s>", with: "")
            return (librivox.appendingPathComponent("\(id).wav"), words.trimmingCharacters(in: .whitespaces))
        }
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A longer recording: the five clips concatenated `times` times (≈ 24.7 s each round).
    static func longRecording(times: Int, in directory: URL) async throws -> URL {
        let clips = try librivoxClips().map(\.url)
        return try await joined(Array((0..<times).flatMap { _ in clips }), as: "long-\(times).wav", in: directory)
    }

    /// The recordings one after another in one WAV file.
    static func joined(_ recordings: [URL], as name: String, in directory: URL) async throws -> URL {
        let list = directory.appendingPathComponent("\(name).concat.txt")
        try recordings.map { "file '\($0.path)'" }.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", list.path, "-c", "copy", output.path]
        try process.run()
        guard await process.exitStatus() == 0 else { throw TestFailure("ffmpeg concat failed") }
        return output
    }
}

/// Runs blocking work (a pipe read, a process wait) on a thread of its own. On a task it would
/// hold one of the few cooperative threads (2 on this machine): every test in the process runs
/// on them, and a plugin's or a client's timeout would fire seconds late.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

extension FileHandle {
    /// Everything until end of file, read on a thread of its own.
    func readToEndOnThread() async -> Data {
        await onOwnThread { self.readDataToEndOfFile() }
    }

    /// Reads (on a thread of its own) until a line containing `marker` arrives; nil at end of file.
    func firstLine(containing marker: String) async -> String? {
        await onOwnThread {
            var buffer = Data()
            while true {
                let chunk = self.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
                if let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first(where: { $0.contains(marker) }) {
                    return String(line)
                }
            }
        }
    }
}

extension Process {
    /// Waits (on a thread of its own) for the process to exit; returns its status.
    func exitStatus() async -> Int32 {
        await onOwnThread {
            self.waitUntilExit()
            return self.terminationStatus
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

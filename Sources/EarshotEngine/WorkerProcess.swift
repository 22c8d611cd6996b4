import Foundation
import Logging

/// A running worker process: its stdin for requests, and its stdout lines as an ordered stream.
///
/// stderr is drained on its own thread into the logger, so the worker can never block on it.
final class WorkerProcess: @unchecked Sendable {
    // @unchecked: `process` and `input` are only touched through methods that Foundation makes
    // thread-safe (write, terminate, processIdentifier); the rest is immutable.
    enum Output: Sendable {
        case line(String)
        /// stdout reached EOF: the process exited or is exiting.
        case closed
    }

    private let process: Process
    private let input: FileHandle
    let output: AsyncStream<Output>

    init(executable: String, arguments: [String], environment: [String: String], logger: Logger) throws {
        // A write to a worker that just died must fail with EPIPE, not kill the server.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? arguments : [executable] + arguments
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr

        let (stream, continuation) = AsyncStream.makeStream(of: Output.self)
        self.output = stream
        self.process = process
        self.input = stdin.fileHandleForWriting
        try process.run()
        try? stdin.fileHandleForReading.close()
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()

        let outputHandle = stdout.fileHandleForReading
        Thread.detachNewThread {
            Self.readLines(from: outputHandle) { continuation.yield(.line($0)) }
            continuation.yield(.closed)
            continuation.finish()
        }
        let errorHandle = stderr.fileHandleForReading
        let pid = process.processIdentifier
        Thread.detachNewThread {
            Self.readLines(from: errorHandle) { logger.info("engine: \($0)", metadata: ["engine_pid": "\(pid)"]) }
        }
    }

    var processIdentifier: Int32 { process.processIdentifier }

    func send(_ data: Data) throws {
        try input.write(contentsOf: data)
    }

    /// Closes stdin (the worker exits at EOF) and kills it if it is still running after `grace`.
    func stop(grace: Duration) async {
        try? input.close()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { process.terminate() }
    }

    func kill() {
        if process.isRunning { process.terminate() }
    }

    /// Splits a byte stream into lines, yielding each complete line without its newline.
    private static func readLines(from handle: FileHandle, _ yield: (String) -> Void) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                yield(String(decoding: line, as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { yield(String(decoding: pending, as: UTF8.self)) }
        try? handle.close()
    }
}

import Foundation

/// Runs a short-lived tool to completion, always draining its output so it can never block on a
/// full pipe, and terminating it if the calling task is cancelled.
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: Int32
        /// True when the tool was killed by a signal rather than exiting by itself.
        public var killedBySignal: Bool
        public var standardOutput: Data
        public var standardError: Data

        public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
    }

    /// Runs `executable` (looked up on `PATH` when it has no slash) with `arguments`, feeding it
    /// `input` on standard input when given (else an empty one).
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil) async throws -> Result {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice

        let outputDrain = PipeDrain(stdout.fileHandleForReading)
        let errorDrain = PipeDrain(stderr.fileHandleForReading)
        let exit = ExitWaiter()
        process.terminationHandler = { exit.finish(ExitStatus(code: $0.terminationStatus, signaled: $0.terminationReason == .uncaughtSignal)) }
        try process.run()
        // The parent's copies of the write ends must close, or the drains never see EOF.
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        if let stdin, let input {
            try? stdin.fileHandleForReading.close()
            let writer = stdin.fileHandleForWriting
            // On its own thread: a child that reads slowly (or not at all) must not block us.
            Thread.detachNewThread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }

        let exitStatus = await withTaskCancellationHandler {
            await exit.wait()
        } onCancel: {
            process.terminate()
        }
        let result = Result(status: exitStatus.code, killedBySignal: exitStatus.signaled, standardOutput: await outputDrain.result(), standardError: await errorDrain.result())
        try Task.checkCancellation()
        return result
    }
}

/// Reads a pipe to EOF on its own thread so the child never blocks writing to it.
final class PipeDrain: Sendable {
    private let box = CompletionBox<Data>()

    init(_ handle: FileHandle) {
        let box = self.box
        Thread.detachNewThread {
            let data = handle.readDataToEndOfFile()
            try? handle.close()
            box.complete(data)
        }
    }

    func result() async -> Data { await box.value() }
}

/// Waits for a process's termination handler.
final class ExitWaiter: Sendable {
    private let box = CompletionBox<ExitStatus>()
    func finish(_ status: ExitStatus) { box.complete(status) }
    func wait() async -> ExitStatus { await box.value() }
}

/// The exit code, and whether a signal ended the process.
struct ExitStatus: Sendable {
    var code: Int32
    var signaled: Bool
}

/// A value produced once on some thread and awaited by any number of tasks.
final class CompletionBox<Value: Sendable>: @unchecked Sendable {
    // Guarded by `lock`; @unchecked because NSLock-protected state is not visible to the checker.
    private let lock = NSLock()
    private var stored: Value?
    private var waiters: [CheckedContinuation<Value, Never>] = []

    func complete(_ value: Value) {
        lock.lock()
        guard stored == nil else { lock.unlock(); return }
        stored = value
        let pending = waiters
        waiters = []
        lock.unlock()
        for waiter in pending { waiter.resume(returning: value) }
    }

    func value() async -> Value {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let stored {
                lock.unlock()
                continuation.resume(returning: stored)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}

import Foundation

/// A real `earshot node start` process, registered through `earshot node register`.
final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` is only used from the owning test.
    let name: String
    let configPath: String
    let process: Process
    let logURL: URL

    /// Registers a node named `name` with the server and returns its saved config path.
    static func register(name: String, server: ServerProcess, adminToken: String, directory: URL) async throws -> String {
        let config = directory.appendingPathComponent("\(name).json").path
        let run = try await runEarshot(["node", "register", "--server", server.baseURL.absoluteString, "--name", name, "--token", adminToken, "--config", config])
        guard run.status == 0 else { throw TestFailure("node register failed: \(run.output)") }
        return config
    }

    /// Starts the node and returns once it reports it is running.
    /// `python`: the `--python` flag (nil gives none); `environment` adds to or overrides the test process's variables.
    init(
        name: String, configPath: String, directory: URL, extraArguments: [String] = [], python: String? = TestEnvironment.python,
        environment: [String: String] = [:]
    ) async throws {
        self.name = name
        self.configPath = configPath
        logURL = directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = TestEnvironment.earshotBinary
        process.arguments = [
            "node", "start", "--config", configPath, "--data-dir", directory.appendingPathComponent("\(name)-data").path,
            "--threads", "1", "--status-port", "0",
        ] + (python.map { ["--python", $0] } ?? []) + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        self.process = process
        guard await stdout.fileHandleForReading.firstLine(containing: "started") != nil else {
            throw TestFailure("node \(name) did not start: \((try? String(contentsOf: logURL, encoding: .utf8))?.suffix(2000) ?? "")")
        }
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await process.exitStatus()
    }

    /// Sends SIGTERM and returns the exit status once the node has shut down.
    func terminate() async -> Int32 {
        process.terminate()
        return await process.exitStatus()
    }

    deinit {
        // Only a failed test gets here; Foundation reaps the child, so there is nothing to wait for.
        if process.isRunning { process.terminate() }
    }

    static func runEarshot(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runProgram(TestEnvironment.earshotBinary.path, arguments)
    }

    /// Runs a program to its end; returns its exit status and its stdout and stderr together.
    static func runProgram(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = await pipe.fileHandleForReading.readToEndOnThread()
        let status = await process.exitStatus()
        return (status, String(decoding: output, as: UTF8.self))
    }
}

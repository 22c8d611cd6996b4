import EarshotCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `earshot serve` process on a free loopback port, driven over real HTTP.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only used from the owning test.
    let dataDirectory: URL
    let process: Process
    let baseURL: URL
    let logURL: URL

    /// Starts the server and returns once it prints the address it listens on.
    /// `environment` adds to (or overrides) the test process's variables.
    init(dataDirectory: URL, port: Int = 0, extraArguments: [String] = [], environment: [String: String] = [:]) async throws {
        self.dataDirectory = dataDirectory
        logURL = dataDirectory.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = TestEnvironment.earshotBinary
        process.arguments = [
            "serve", "--port", String(port), "--data-dir", dataDirectory.path, "--instance-name", "e2e",
            "--python", TestEnvironment.python, "--log-level", "info",
        ] + extraArguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        self.process = process
        // The server prints its address once the socket is bound; read up to that line.
        let line = await stdout.fileHandleForReading.firstLine(containing: "listening on")
        guard let line, let address = line.split(separator: " ").last, let url = URL(string: String(address)) else {
            process.terminate()
            throw TestFailure("server did not start: \(try String(contentsOf: logURL, encoding: .utf8).suffix(2000))")
        }
        baseURL = url
    }

    /// Process ids of the server's direct children (its engine processes).
    func childProcessIDs() -> [Int32] {
        let parent = process.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after "(comm)": state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
        }
    }

    /// The server's engine processes (the faster-whisper workers among its children).
    func engineProcessIDs() -> [Int32] {
        childProcessIDs { $0.contains("faster_whisper_worker.py") }
    }

    /// The server's children whose command line (arguments joined by NULs) matches.
    func childProcessIDs(commandLine matches: (String) -> Bool) -> [Int32] {
        childProcessIDs().filter { pid in
            let commandLine = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return matches(String(decoding: commandLine, as: UTF8.self))
        }
    }

    /// A memory figure of the server process from `/proc/<pid>/status` (`VmRSS`, `VmHWM` for the peak), in KiB.
    func memoryKiB(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await process.exitStatus()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    func terminate() async -> Int32 {
        process.terminate()
        return await process.exitStatus()
    }

    deinit {
        // Only a failed test gets here; Foundation reaps the child, so there is nothing to wait for.
        if process.isRunning { process.terminate() }
    }

    // MARK: - HTTP

    struct HTTPResult {
        var status: Int
        var body: Data
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }

        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { throw TestFailure("not a JSON object: \(text)") }
            return object
        }

        func errorCode() throws -> String? {
            (try json()["error"] as? [String: Any])?["code"] as? String
        }
    }

    /// A client that keeps no cookies: tests send the ones they mean to, by hand.
    static let client: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, bearer: String? = nil, headers: [String: String] = [:],
        timeout: TimeInterval = 120
    ) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await Self.client.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
        return HTTPResult(status: http.statusCode, body: data, headers: headers)
    }

    /// Uploads a file as multipart/form-data with optional extra fields.
    func upload(_ file: URL, fields: [String: String] = [:], filename: String? = nil, bearer: String? = nil) async throws -> HTTPResult {
        let boundary = "earshot-test-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename ?? file.lastPathComponent)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        body.append(try Data(contentsOf: file))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return try await request("POST", "/api/v1/jobs", body: body, contentType: "multipart/form-data; boundary=\(boundary)", bearer: bearer)
    }

    /// Uploads and returns the new job's id, failing unless the server answered 201.
    func submit(_ file: URL, fields: [String: String] = [:]) async throws -> String {
        let result = try await upload(file, fields: fields)
        guard result.status == 201, let id = try result.json()["id"] as? String else {
            throw TestFailure("upload failed: \(result.status) \(result.text)")
        }
        return id
    }

    /// Long-polls the job until it reaches one of `states` (the server holds the request).
    func waitForJob(_ id: String, until states: [JobState] = [.succeeded, .failed, .cancelled], timeout: Double = 300) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        let until = states.map(\.rawValue).joined(separator: ",")
        while true {
            let result = try await request("GET", "/api/v1/jobs/\(id)?wait=30&until=\(until)", timeout: 60)
            let job = try result.json()
            if let state = job["state"] as? String, states.map(\.rawValue).contains(state) { return job }
            if Date() > deadline { throw TestFailure("job \(id) did not reach \(until): \(result.text)") }
        }
    }
}

import ArgumentParser
import EarshotClient
import EarshotCore
import Foundation
import Synchronization

/// `earshot submit`: many files, folders or URLs to a server, followed to the end, results saved.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Send files, folders or URLs to a server, follow them, and save the transcripts.",
        discussion: """
            Each file is uploaded (a folder: every audio and video file in it, and its subfolders); \
            each http(s) URL is fetched by the server. Progress follows the server's event stream: \
            on a terminal one bar per job, otherwise a line per change. When every job has ended, \
            the transcripts are written to the output folder as NAME.FORMAT. Exits non-zero if any \
            input could not be sent or any job failed.
            """
    )

    @Option(help: "The server.")
    var server = "http://127.0.0.1:8080"

    @Argument(help: ArgumentHelp("Files, folders or http(s) URLs.", valueName: "file|dir|url"))
    var inputs: [String]

    @Option(help: "Transcript format to save: txt, srt, vtt, md or json.")
    var format = "txt"

    @Option(name: [.short, .customLong("output")], help: "Folder for the transcripts.")
    var output = "."

    @Option(help: "Model (default: the server's).")
    var model: String?

    @Option(help: "Spoken language, e.g. en (default: detected).")
    var language: String?

    @Option(help: "Queue priority, -100...100.")
    var priority: Int?

    func validate() throws {
        guard let url = URL(string: server), url.host != nil else { throw ValidationError("--server must be a URL such as http://127.0.0.1:8080") }
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))") }
        if let priority, !(-100...100).contains(priority) { throw ValidationError("--priority must be in -100...100") }
    }

    enum Input {
        case file(URL)
        case url(String)
    }

    func run() async throws {
        let client = JobsClient(baseURL: URL(string: server)!)
        var options: [String: String] = [:]
        options["model"] = model
        options["language"] = language
        options["priority"] = priority.map(String.init)
        var problems = 0
        var jobs: [SubmittedJob] = []
        for input in expand(&problems) {
            do {
                switch input {
                case .file(let file): jobs.append(try await client.upload(file, options: options))
                case .url(let url): jobs.append(try await client.submit(url: url, options: options))
                }
            } catch let error as EarshotAPIError {
                problems += 1
                Self.complain("\(Self.name(of: input)): \(error.message)")
            } catch {
                problems += 1
                Self.complain("\(Self.name(of: input)): \(error)")
            }
        }
        guard !jobs.isEmpty else { throw ExitCode.failure }

        let finished = try await follow(jobs, client: client)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var failed = 0
        for job in finished {
            guard job.state == .succeeded else {
                failed += 1
                Self.complain("\(job.media.filename): \(job.state.rawValue)\(job.error.map { ": \($0.message)" } ?? "")")
                continue
            }
            let base = (job.media.filename as NSString).deletingPathExtension
            let target = URL(fileURLWithPath: output).appendingPathComponent("\(base.isEmpty ? job.id : base).\(format)")
            try await client.transcript(job.id, format: format).write(to: target, options: .atomic)
            print(target.path)
        }
        if problems + failed > 0 { throw ExitCode.failure }
    }

    /// Files, folders (walked for media files) and URLs, in the order given.
    private func expand(_ problems: inout Int) -> [Input] {
        var result: [Input] = []
        for input in inputs {
            if let url = URL(string: input), ["http", "https"].contains(url.scheme?.lowercased() ?? "") {
                result.append(.url(input))
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                problems += 1
                Self.complain("\(input): no such file")
                continue
            }
            guard isDirectory.boolValue else {
                result.append(.file(URL(fileURLWithPath: input)))
                continue
            }
            let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: input, isDirectory: true), includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
            let files = (walker?.allObjects as? [URL] ?? []).filter { MediaFileTypes.isMedia($0.lastPathComponent) }
            if files.isEmpty { Self.complain("\(input): no audio or video files in this folder") }
            result += files.sorted { $0.path < $1.path }.map(Input.file)
        }
        return result
    }

    /// What moves the display: an event about one of the jobs, or a periodic re-read.
    private enum Update: Sendable {
        case event(index: Int, data: JobEventData)
        case reread
    }

    /// Follows the jobs until all have ended: driven by the event stream, with a read of every
    /// job's state at the start and every 5 s (an event missed while the stream was connecting,
    /// or during a dropped connection, then costs at most that).
    private func follow(_ submitted: [SubmittedJob], client: JobsClient) async throws -> [SubmittedJob] {
        let display = SubmitDisplay(labels: submitted.map(\.media.filename))
        var jobs = submitted
        let ids = Dictionary(uniqueKeysWithValues: submitted.enumerated().map { ($1.id, $0) })
        let (updates, update) = AsyncStream<Update>.makeStream()
        let follower = Task {
            for try await item in EventFollower(baseURL: client.baseURL, types: "job.*").follow(after: nil) {
                if case .event(let event) = item, case .job(let data) = event.data, let index = ids[data.jobId.rawValue] {
                    update.yield(.event(index: index, data: data))
                }
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(5))
                update.yield(.reread)
            }
        }
        defer {
            follower.cancel()
            ticker.cancel()
        }
        func reread() async {
            for index in jobs.indices where !jobs[index].state.isTerminal {
                if let fresh = try? await client.job(jobs[index].id) { jobs[index] = fresh }
            }
        }
        await reread()
        display.show(jobs)
        if !jobs.allSatisfy({ $0.state.isTerminal }) {
            for await next in updates {
                switch next {
                case .event(let index, let data):
                    jobs[index].state = data.state
                    if let progress = data.progress { jobs[index].progress = progress }
                    if let error = data.error { jobs[index].error = error }
                case .reread:
                    await reread()
                }
                display.show(jobs)
                if jobs.allSatisfy({ $0.state.isTerminal }) { break }
            }
        }
        display.finish()
        return jobs
    }

    private static func name(of input: Input) -> String {
        switch input {
        case .file(let file): file.lastPathComponent
        case .url(let url): URLCredentials.masked(url)
        }
    }

    static func complain(_ text: String) {
        FileHandle.standardError.write(Data("earshot: \(text)\n".utf8))
    }
}

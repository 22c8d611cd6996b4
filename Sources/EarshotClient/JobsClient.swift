import AsyncHTTPClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

/// A job as `earshot submit` follows it.
public struct SubmittedJob: Decodable, Sendable, Hashable {
    public struct Media: Decodable, Sendable, Hashable {
        public var filename: String
    }

    public var id: String
    public var state: JobState
    public var progress: Double
    public var error: JobError?
    public var media: Media
}

/// `/api/v1/jobs` for clients: submit files (streamed, never read whole into memory) or URLs,
/// read a job, fetch its transcript.
public struct JobsClient: Sendable {
    public let baseURL: URL
    let transport: HTTPTransport

    public init(baseURL: URL, token: String? = nil) {
        self.baseURL = baseURL
        self.transport = HTTPTransport(baseURL: baseURL, bearerToken: token)
    }

    /// Uploads `file` as a raw body; `options` are the upload's query options (`model`, …).
    public func upload(_ file: URL, options: [String: String]) async throws -> SubmittedJob {
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        var query = options.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        query.append(URLQueryItem(name: "filename", value: file.lastPathComponent))
        var request = transport.makeRequest(.POST, "api/v1/jobs", query: query)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .stream(FileChunks(url: file), length: .known(Int64(size)))
        // Generous: the whole upload goes through this one exchange.
        let (data, status) = try await HTTPTransport.perform(request, timeout: .hours(6))
        guard (200..<300).contains(status) else { throw EarshotAPIError(status: status, body: data) }
        return try EarshotJSON.decoder().decode(SubmittedJob.self, from: data)
    }

    /// Has the server fetch `url` and queue it.
    public func submit(url: String, options: [String: String]) async throws -> SubmittedJob {
        var body = options
        body["url"] = url
        return try await transport.send(.POST, "api/v1/jobs", json: body, timeout: .hours(1), decoding: SubmittedJob.self)
    }

    public func job(_ id: String) async throws -> SubmittedJob {
        try await transport.send(.GET, "api/v1/jobs/\(id)", decoding: SubmittedJob.self)
    }

    /// The transcript rendered as `format` (`txt`, `srt`, `vtt`, `md`, `json`).
    public func transcript(_ id: String, format: String) async throws -> Data {
        try await transport.send(.GET, "api/v1/jobs/\(id)/transcript", query: [URLQueryItem(name: "format", value: format)]).body
    }
}

/// A file read in 1 MiB chunks as the upload goes out.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let url: URL

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            guard let handle, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty else {
                try? handle?.close()
                return nil
            }
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: try? FileHandle(forReadingFrom: url)) }
}

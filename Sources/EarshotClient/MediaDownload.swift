import EarshotCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension NodeClient {
    /// How many times a dropped media download is resumed before giving up.
    static let mediaDownloadAttempts = 5

    /// Streams a job's media to `destination`, resuming with `Range` after a dropped connection,
    /// then checks the SHA-256. On any failure the file is deleted, so no half file is ever used.
    ///
    /// A 409 from the server (lease stale, job cancelled) is thrown as ``EarshotAPIError``.
    public func downloadMedia(jobID: JobID, token: Int64, to destination: URL, expectedSHA256: String?) async throws {
        do {
            try await fetchWithResume(jobID: jobID, token: token, to: destination)
            if let expectedSHA256 {
                let actual = try Self.sha256(of: destination)
                guard actual == expectedSHA256.lowercased() else {
                    throw MediaDownloadError.digestMismatch(expected: expectedSHA256, actual: actual)
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
    }

    private func fetchWithResume(jobID: JobID, token: Int64, to destination: URL) async throws {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Always start empty: a file left by an earlier attempt may belong to another lease.
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
        }
        var lastReason = ""
        for attempt in 1...Self.mediaDownloadAttempts {
            let offset = try Self.size(of: destination)
            var request = transport.makeRequest(
                "GET", "api/v1/node/jobs/\(jobID.rawValue)/media", query: [URLQueryItem(name: "token", value: String(token))],
                timeout: 60
            )
            if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
            let outcome = try await MediaFetch.run(request, appendingTo: destination, offset: offset)
            switch outcome {
            case .rejected(let status, let body):
                throw EarshotAPIError(status: status, body: body)
            case .finished(let expectedTotal):
                let size = try Self.size(of: destination)
                if let expectedTotal, size < expectedTotal {
                    lastReason = "connection closed after \(size) of \(expectedTotal) bytes"
                } else {
                    return
                }
            case .dropped(let reason):
                lastReason = reason
            }
            try Task.checkCancellation()
            if attempt < Self.mediaDownloadAttempts {
                try await Task.sleep(for: .seconds(attempt))
            }
        }
        throw MediaDownloadError.incomplete(attempts: Self.mediaDownloadAttempts, reason: lastReason)
    }

    static func size(of url: URL) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Hashes in chunks, so large media never sits in memory.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.finalizeHex()
    }
}

/// One GET of the media, appending what arrives to the file as it arrives.
final class MediaFetch: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: URLSession calls the delegate on its own serial queue, one callback at a time;
    // the mutable state below is only touched from those callbacks.

    enum Outcome: Sendable {
        /// The body ended; `expectedTotal` is the full size the server announced, if it did.
        case finished(expectedTotal: Int64?)
        /// The server answered with an error status; the body is its error JSON.
        case rejected(status: Int, body: Data)
        /// The connection broke; resuming may help.
        case dropped(reason: String)
    }

    private let file: FileHandle
    private let offset: Int64
    private var continuation: CheckedContinuation<Outcome, any Error>?
    private var status: Int?
    private var expectedTotal: Int64?
    private var errorBody = Data()
    private var writeError: (any Error)?

    private init(file: FileHandle, offset: Int64) {
        self.file = file
        self.offset = offset
    }

    static func run(_ request: URLRequest, appendingTo destination: URL, offset: Int64) async throws -> Outcome {
        let file = try FileHandle(forWritingTo: destination)
        defer { try? file.close() }
        try file.seekToEnd()
        let fetch = MediaFetch(file: file, offset: offset)
        let session = URLSession(configuration: .default, delegate: fetch, delegateQueue: nil)
        // The session holds its delegate strongly until invalidated.
        defer { session.finishTasksAndInvalidate() }
        let handle = CancellableTask()
        let outcome = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                fetch.continuation = continuation
                let task = session.dataTask(with: request)
                handle.attach(task)
                task.resume()
            }
        } onCancel: {
            handle.cancel()
        }
        return outcome
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if status == nil { decide(dataTask.response) }
        guard writeError == nil else { return }
        if status == 200 || status == 206 {
            do {
                try file.write(contentsOf: data)
            } catch {
                writeError = error
                dataTask.cancel()
            }
        } else if errorBody.count < 64 * 1024 {
            errorBody.append(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let continuation else { return }
        self.continuation = nil
        if let writeError {
            continuation.resume(throwing: writeError)
        } else if let error {
            if (error as? URLError)?.code == .cancelled {
                continuation.resume(throwing: CancellationError())
            } else {
                continuation.resume(returning: .dropped(reason: error.localizedDescription))
            }
        } else {
            if status == nil { decide(task.response) }
            switch status {
            case 200, 206: continuation.resume(returning: .finished(expectedTotal: expectedTotal))
            default: continuation.resume(returning: .rejected(status: status ?? 0, body: errorBody))
            }
        }
    }

    /// Reads the status once, before the first byte is written.
    private func decide(_ response: URLResponse?) {
        guard let http = response as? HTTPURLResponse else {
            status = 0
            return
        }
        status = http.statusCode
        switch http.statusCode {
        case 206:
            // "bytes 100-999/1000": the total follows the slash.
            if let range = http.value(forHTTPHeaderField: "Content-Range"), let total = range.split(separator: "/").last {
                expectedTotal = Int64(total)
            }
        case 200:
            // The server sent the whole file (no range support, or a fresh start): begin again.
            if offset > 0 {
                do {
                    try file.truncate(atOffset: 0)
                } catch {
                    writeError = error
                }
            }
            if http.expectedContentLength >= 0 { expectedTotal = http.expectedContentLength }
        default:
            break
        }
    }
}

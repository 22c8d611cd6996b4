import AsyncHTTPClient
import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

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
                .GET, "api/v1/node/jobs/\(jobID.rawValue)/media", query: [URLQueryItem(name: "token", value: String(token))]
            )
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
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
enum MediaFetch {
    enum Outcome: Sendable {
        /// The body ended; `expectedTotal` is the full size the server announced, if it did.
        case finished(expectedTotal: Int64?)
        /// The server answered with an error status; the body is its error JSON.
        case rejected(status: Int, body: Data)
        /// The connection broke; resuming may help.
        case dropped(reason: String)
    }

    /// A stalled transfer is caught by the client's read timeout, so the deadline only has to
    /// outlast a large file on a slow link.
    static let deadline = TimeAmount.hours(12)

    static func run(_ request: HTTPClientRequest, appendingTo destination: URL, offset: Int64) async throws -> Outcome {
        let file = try FileHandle(forWritingTo: destination)
        defer { try? file.close() }
        try file.seekToEnd()
        let response: HTTPClientResponse
        do {
            response = try await EarshotHTTPClient.shared.execute(request, timeout: deadline)
        } catch {
            return try dropped(error, url: request.url)
        }
        let status = Int(response.status.code)
        var expectedTotal: Int64?
        switch status {
        case 206:
            // "bytes 100-999/1000": the total follows the slash.
            if let range = response.headers.first(name: "Content-Range"), let total = range.split(separator: "/").last {
                expectedTotal = Int64(total)
            }
        case 200:
            // The server sent the whole file (no range support, or a fresh start): begin again.
            if offset > 0 {
                try file.truncate(atOffset: 0)
            }
            expectedTotal = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        default:
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Data($0.readableBytesView) } ?? Data()
            return .rejected(status: status, body: body)
        }
        do {
            for try await chunk in response.body {
                do {
                    try file.write(contentsOf: Data(chunk.readableBytesView))
                } catch {
                    throw WriteFailure(underlying: error)
                }
            }
        } catch let failure as WriteFailure {
            throw failure.underlying
        } catch {
            return try dropped(error, url: request.url)
        }
        return .finished(expectedTotal: expectedTotal)
    }

    /// A local disk error, which no resume can fix.
    private struct WriteFailure: Error {
        var underlying: any Error
    }

    /// A broken transfer is worth resuming; a cancelled one is not.
    private static func dropped(_ error: any Error, url: String) throws -> Outcome {
        let mapped = HTTPTransport.connectionError(error, url: url)
        if mapped is CancellationError { throw mapped }
        return .dropped(reason: String(describing: error))
    }
}

import AsyncHTTPClient
import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Fetches a media URL a client named into the media store: http(s) only, every hop's address
/// checked by ``AddressPolicy`` (redirects are followed here, at most `maxRedirects`, so none
/// slips past the check), the size capped while it streams, and the whole transfer bounded in
/// time.
///
/// The name is resolved for the check and again by the HTTP client; a name that changes its
/// answer in between (DNS rebinding) is not caught — block such resolvers at the network edge.
struct MediaDownloader: Sendable {
    let media: MediaStore
    let maxBytes: Int64
    let timeout: Duration
    let allowPrivateAddresses: Bool

    static let maxRedirects = 5

    /// Redirects are ours to follow, so each target is checked.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(30)))
    )

    struct Downloaded {
        var media: StoredMedia
        var filename: String
        var contentType: String?
    }

    func download(_ text: String) async throws -> Downloaded {
        let deadline = ContinuousClock.now + timeout
        let (response, url) = try await open(text, headers: [], deadline: deadline)
        guard (200..<300).contains(response.status.code) else {
            throw APIError.badRequest("url_fetch_failed", "\(Self.shown(url)) answered HTTP \(response.status.code)")
        }
        if let declared = response.headers.first(name: "content-length").flatMap(Int64.init), declared > maxBytes { throw tooLarge() }
        let upload = try media.beginUpload()
        do {
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { try upload.write($0) }
                if upload.sizeBytes > maxBytes { throw tooLarge() }
                if ContinuousClock.now > deadline {
                    throw APIError(.gatewayTimeout, "url_timeout", "downloading \(Self.shown(url)) took longer than \(timeout)")
                }
            }
            guard upload.sizeBytes > 0 else { throw APIError.badRequest("empty_upload", "\(Self.shown(url)) sent no bytes") }
            let stored = try upload.commit()
            let contentType = response.headers.first(name: "content-type")?.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) }
            return Downloaded(media: stored, filename: Self.filename(for: url, response: response), contentType: contentType)
        } catch {
            upload.abort()
            throw error
        }
    }

    /// A small document (a feed, a transcript) read into memory, at most `limit` bytes, with the
    /// same checks; a 304 comes back as is, for conditional requests.
    func document(_ text: String, headers: [(String, String)] = [], limit: Int) async throws -> (status: Int, body: Data, headers: HTTPHeaders) {
        let (response, url) = try await open(text, headers: headers, deadline: ContinuousClock.now + timeout)
        guard (200..<300).contains(response.status.code) || response.status.code == 304 else {
            throw APIError.badRequest("url_fetch_failed", "\(Self.shown(url)) answered HTTP \(response.status.code)")
        }
        if let declared = response.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
            throw APIError(.contentTooLarge, "payload_too_large", "\(Self.shown(url)) is larger than \(limit >> 20) MB")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "\(Self.shown(url)) is larger than \(limit >> 20) MB")
        }
        return (Int(response.status.code), Data(body.readableBytesView), response.headers)
    }

    /// The answer at the end of `text`'s redirects, each hop's address checked first.
    private func open(_ text: String, headers: [(String, String)], deadline: ContinuousClock.Instant) async throws -> (HTTPClientResponse, URL) {
        var url = try Self.checkedURL(text)
        for _ in 0...Self.maxRedirects {
            try await checkAddress(of: url)
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "User-Agent", value: "earshot/\(EarshotVersion.current)")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response: HTTPClientResponse
            do {
                response = try await Self.client.execute(request, deadline: .now() + .seconds(Int64(max(1, (deadline - .now).components.seconds))))
            } catch {
                throw APIError.badRequest("url_fetch_failed", "could not fetch \(Self.shown(url)): \(error)")
            }
            guard (300..<400).contains(response.status.code), response.status.code != 304, let location = response.headers.first(name: "location") else {
                return (response, url)
            }
            guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                throw APIError.badRequest("url_fetch_failed", "\(Self.shown(url)) redirects to an invalid location")
            }
            url = try Self.checkedURL(next.absoluteString)
        }
        throw APIError.badRequest("too_many_redirects", "more than \(Self.maxRedirects) redirects from \(Self.shown(URL(string: text) ?? url))")
    }

    static func checkedURL(_ text: String) throws -> URL {
        guard text.count <= 4096, let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty
        else {
            throw APIError.badRequest("invalid_url", "url must be an http(s) URL with a host")
        }
        return url
    }

    private func checkAddress(of url: URL) async throws {
        guard !allowPrivateAddresses, let host = url.host else { return }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses = await AddressPolicy.resolve(bare)
        guard !addresses.isEmpty else { throw APIError.badRequest("url_fetch_failed", "cannot resolve \(bare)") }
        if let inner = addresses.first(where: { !AddressPolicy.isPublic($0) }) {
            throw APIError.badRequest(
                "url_not_allowed", "\(Self.shown(url)) leads to \(inner), a private, loopback or link-local address; allow_private_urls permits it"
            )
        }
    }

    private func tooLarge() -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the file at the URL exceeds max_upload_bytes (\(maxBytes) bytes)")
    }

    static func shown(_ url: URL) -> String { URLCredentials.masked(url.absoluteString) }

    /// Content-Disposition's file name, else the path's last component.
    static func filename(for url: URL, response: HTTPClientResponse) -> String {
        if let disposition = response.headers.first(name: "content-disposition"), let name = UploadReceiver.parameter("filename", in: disposition) {
            return UploadParameters.sanitizedFilename(name)
        }
        let last = url.lastPathComponent
        return UploadParameters.sanitizedFilename(last.isEmpty || last == "/" ? url.host : last.removingPercentEncoding ?? last)
    }
}

import EarshotCore
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// A stored media file as an HTTP response, honouring a single `Range` (206, or 416 when it
/// cannot be met): nodes resume interrupted downloads with it, browsers seek audio with it.
enum MediaFileResponse {
    static func make(
        path: String, size: Int, contentType: String, request: Request, context: some RequestContext
    ) async throws -> Response {
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        guard size > 0 else {
            headers[.contentLength] = "0"
            return Response(status: .ok, headers: headers)
        }
        var range = 0...(size - 1)
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            guard let parsed = ByteRange.parse(header, size: size) else {
                throw APIError(.rangeNotSatisfiable, "invalid_range", "cannot serve \(header) of \(size) bytes", headers: [.contentRange: "bytes */\(size)"])
            }
            range = parsed
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        let body = try await FileIO().loadFile(path: path, range: range, context: context)
        return Response(status: status, headers: headers, body: body)
    }

    /// The type an upload is served with. Only plain audio and video types keep theirs: anything
    /// else is served as bytes, so an upload can never run as a page on this origin.
    static func servedType(uploaded: String?) -> String {
        let type = (uploaded ?? "").lowercased().trimmingCharacters(in: .whitespaces)
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        let token = { (part: Substring) in !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || "-+.".contains($0) } }
        guard parts.count == 2, ["audio", "video"].contains(parts[0]), token(parts[1]) else { return "application/octet-stream" }
        return type
    }
}

import EarshotStore
import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// An upload written to the media store, with the fields that came with it.
struct ReceivedUpload {
    var media: StoredMedia
    var filename: String
    var contentType: String?
    var fields: [String: String]
}

/// Streams a request body into the media store without ever holding the whole file in memory.
///
/// Accepts `multipart/form-data` (a `file` part plus small text fields) or a raw body with an
/// audio/video/octet-stream content type. Anything over `maxBytes` is cut off with 413 and the
/// partial file removed.
struct UploadReceiver {
    let media: MediaStore
    let maxBytes: Int64
    static let maxFieldBytes = 4096

    func receive(_ request: Request) async throws -> ReceivedUpload {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if mediaType == "multipart/form-data" {
            guard let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.count <= 200 else {
                throw APIError.badRequest("invalid_multipart", "multipart/form-data needs a boundary parameter")
            }
            return try await receiveMultipart(request, boundary: boundary)
        }
        if mediaType.hasPrefix("audio/") || mediaType.hasPrefix("video/") || mediaType == "application/octet-stream" {
            return try await receiveRaw(request, contentType: mediaType)
        }
        throw APIError(
            .unsupportedMediaType, "unsupported_content_type",
            "send multipart/form-data with a 'file' field, or the raw file as audio/*, video/* or application/octet-stream"
        )
    }

    private func receiveRaw(_ request: Request, contentType: String) async throws -> ReceivedUpload {
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > maxBytes {
            throw tooLarge()
        }
        let upload = try media.beginUpload()
        do {
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try upload.write($0) }
                if upload.sizeBytes > maxBytes { throw tooLarge() }
            }
            // A body cut short (the client went away, or was cut off as too slow) ends the stream like a
            // finished one; only its announced length tells them apart.
            if let declared = request.headers[.contentLength].flatMap(Int64.init), upload.sizeBytes != declared {
                throw APIError.badRequest("truncated_upload", "the body ended after \(upload.sizeBytes) of its \(declared) bytes")
            }
            guard upload.sizeBytes > 0 else { throw APIError.badRequest("empty_upload", "the uploaded file is empty") }
            let stored = try upload.commit()
            var fields: [String: String] = [:]
            for (key, value) in request.uri.queryParameters {
                fields[String(key)] = String(value)
            }
            let filename = fields.removeValue(forKey: "filename")
            return ReceivedUpload(media: stored, filename: UploadParameters.sanitizedFilename(filename), contentType: contentType, fields: fields)
        } catch {
            upload.abort()
            throw error
        }
    }

    private func receiveMultipart(_ request: Request, boundary: String) async throws -> ReceivedUpload {
        let state = MultipartState()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.header(name: name, value: value) }
        parser.onBody = { buffer in state.body(&buffer, media: media, maxFieldBytes: Self.maxFieldBytes) }
        parser.onPartComplete = { state.partComplete() }
        do {
            if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > maxBytes + 64 * 1024 {
                throw tooLarge()
            }
            for try await buffer in request.body {
                do {
                    try parser.execute(buffer)
                } catch {
                    throw APIError.badRequest("invalid_multipart", "the multipart body could not be parsed")
                }
                if let failure = state.failure { throw failure }
                if let upload = state.upload, upload.sizeBytes > maxBytes { throw tooLarge() }
            }
            if let failure = state.failure { throw failure }
            guard state.sawFilePart, let upload = state.completedUpload else {
                throw APIError.badRequest("missing_file", "the form has no 'file' field")
            }
            guard upload.sizeBytes > 0 else { throw APIError.badRequest("empty_upload", "the uploaded file is empty") }
            let stored = try upload.commit()
            state.completedUpload = nil
            var fields = state.fields
            let filename = fields.removeValue(forKey: "filename") ?? state.filename
            return ReceivedUpload(
                media: stored, filename: UploadParameters.sanitizedFilename(filename), contentType: state.fileContentType, fields: fields
            )
        } catch {
            state.abortAll()
            throw error
        }
    }

    private func tooLarge() -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the upload exceeds the limit of \(maxBytes) bytes")
    }

    /// Reads `name=value` (optionally quoted) from a header value such as Content-Type.
    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, pieces[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            var value = pieces[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

/// Parser callbacks' shared state for one multipart request.
private final class MultipartState {
    var partName: String?
    var partFilename: String?
    var partContentType: String?
    var fieldBytes: [UInt8] = []
    var upload: MediaUpload?
    var completedUpload: MediaUpload?
    var sawFilePart = false
    var filename: String?
    var fileContentType: String?
    var fields: [String: String] = [:]
    var failure: (any Error)?

    func header(name: String, value: String) {
        switch name.lowercased() {
        case "content-disposition":
            partName = UploadReceiver.parameter("name", in: value)
            partFilename = UploadReceiver.parameter("filename", in: value)
        case "content-type":
            partContentType = value
        default:
            break
        }
    }

    func body(_ buffer: inout ByteBuffer, media: MediaStore, maxFieldBytes: Int) {
        guard failure == nil else { return }
        if partName == "file" {
            do {
                if upload == nil {
                    guard !sawFilePart else {
                        failure = APIError.badRequest("multiple_files", "send one 'file' per job")
                        return
                    }
                    upload = try media.beginUpload()
                }
                try buffer.withUnsafeReadableBytes { try upload?.write($0) }
            } catch {
                failure = error
            }
        } else {
            fieldBytes.append(contentsOf: buffer.readableBytesView)
            if fieldBytes.count > maxFieldBytes {
                failure = APIError.badRequest("field_too_long", "form field '\(partName ?? "")' is longer than \(maxFieldBytes) bytes")
            }
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
    }

    func partComplete() {
        defer {
            partName = nil
            partFilename = nil
            partContentType = nil
            fieldBytes = []
        }
        guard failure == nil else { return }
        if partName == "file" {
            if sawFilePart {
                failure = APIError.badRequest("multiple_files", "send one 'file' per job")
                return
            }
            sawFilePart = true
            filename = partFilename
            fileContentType = partContentType
            completedUpload = upload
            if completedUpload == nil {
                // An empty file part produces no body callback; represent it as an empty upload.
                failure = APIError.badRequest("empty_upload", "the uploaded file is empty")
            }
            upload = nil
        } else if let name = partName {
            // A repeated field (`timestamp_granularities[]`) keeps every value, comma-separated.
            let value = String(decoding: fieldBytes, as: UTF8.self)
            fields[name] = fields[name].map { "\($0),\(value)" } ?? value
        }
    }

    func abortAll() {
        upload?.abort()
        completedUpload?.abort()
        upload = nil
        completedUpload = nil
    }
}

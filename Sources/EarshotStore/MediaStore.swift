import EarshotCore
import Foundation
import Synchronization

/// Media files on disk, addressed by the SHA-256 of their content so the same upload is stored once.
///
/// Uploads are streamed into a temporary file while hashed, then renamed into place: a crash
/// mid-upload leaves only a temp file, never a half-written media file under a valid name.
///
/// A committed upload is *pinned* until its job exists (or the upload is rejected): between the
/// two, no job refers to the file yet, and a job deletion or the retention cleanup would
/// otherwise delete it under the new job. Copies of a `MediaStore` share their pins.
public struct MediaStore: Sendable {
    public let root: URL
    let temporaryDirectory: URL
    private let pins = MediaPins()

    public init(root: URL) throws {
        self.root = root
        self.temporaryDirectory = root.appendingPathComponent("incoming", isDirectory: true)
        try FileManager.default.createDirectory(at: temporaryDirectory, withIntermediateDirectories: true)
    }

    /// Where the media with this hash lives (it may not exist).
    public func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent(sha256)
    }

    public func contains(_ sha256: String) -> Bool {
        FileManager.default.fileExists(atPath: url(for: sha256).path)
    }

    /// Starts a streamed upload; feed it chunks, then ``MediaUpload/commit()``.
    public func beginUpload() throws -> MediaUpload {
        try MediaUpload(store: self)
    }

    /// Copies a local file in (CLI use), hashing as it goes; pinned like ``MediaUpload/commit()``.
    public func ingest(fileAt source: URL, chunkSize: Int = 1 << 20) throws -> StoredMedia {
        let input = try FileHandle(forReadingFrom: source)
        defer { try? input.close() }
        let upload = try beginUpload()
        do {
            while let chunk = try input.read(upToCount: chunkSize), !chunk.isEmpty {
                try upload.write(chunk)
            }
            return try upload.commit()
        } catch {
            upload.abort()
            throw error
        }
    }

    /// Ends the pin that ``MediaUpload/commit()`` placed, once the job exists or the upload was
    /// rejected.
    public func unpin(_ sha256: String) {
        pins.counts.withLock { pins in
            guard let count = pins[sha256] else { return }
            pins[sha256] = count > 1 ? count - 1 : nil
        }
    }

    /// Deletes the file unless an upload of the same content holds a pin on it; returns whether
    /// it deleted. Call only once the store says no job uses the file.
    @discardableResult
    public func removeUnlessPinned(_ sha256: String) -> Bool {
        pins.counts.withLock { pins in
            guard pins[sha256] == nil else { return false }
            return (try? FileManager.default.removeItem(at: url(for: sha256))) != nil
        }
    }

    /// Pins `sha256` and, under the same lock, puts the uploaded file in place unless an
    /// identical copy is already there.
    func pinAndPlace(_ sha256: String, from temporaryURL: URL) throws -> URL {
        let destination = url(for: sha256)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try pins.counts.withLock { pins in
            if FileManager.default.fileExists(atPath: destination.path) {
                try? FileManager.default.removeItem(at: temporaryURL)
            } else {
                try FileManager.default.moveItem(at: temporaryURL, to: destination)
            }
            pins[sha256, default: 0] += 1
        }
        return destination
    }
}

/// A finished upload: its content hash and size.
public struct StoredMedia: Sendable, Hashable {
    public var sha256: String
    public var sizeBytes: Int64
    public var url: URL
}

/// One in-progress upload. Not shared between tasks: it belongs to the request handler writing it.
public final class MediaUpload {
    let store: MediaStore
    let temporaryURL: URL
    let handle: FileHandle
    var hasher = SHA256Hasher()
    /// Bytes written so far, for size limits enforced by the caller.
    public private(set) var sizeBytes: Int64 = 0

    init(store: MediaStore) throws {
        self.store = store
        self.temporaryURL = store.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporaryURL.path])
        }
        self.handle = try FileHandle(forWritingTo: temporaryURL)
    }

    public func write(_ data: Data) throws {
        data.withUnsafeBytes { hasher.update($0) }
        try handle.write(contentsOf: data)
        sizeBytes += Int64(data.count)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        try handle.write(contentsOf: Data(bytes))
        sizeBytes += Int64(bytes.count)
    }

    /// Moves the file under its content hash (keeping an existing identical copy) and returns it,
    /// pinned: call ``MediaStore/unpin(_:)`` once its job is created or the upload rejected.
    public func commit() throws -> StoredMedia {
        try handle.synchronize()
        try handle.close()
        let sha = hasher.finalizeHex()
        let destination = try store.pinAndPlace(sha, from: temporaryURL)
        return StoredMedia(sha256: sha, sizeBytes: sizeBytes, url: destination)
    }

    /// Discards a failed or rejected upload.
    public func abort() {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporaryURL)
    }
}

/// Pin counts by content hash, shared by copies of a ``MediaStore``; the lock also orders
/// "pin and place" against "check and delete".
final class MediaPins: Sendable {
    let counts = Mutex<[String: Int]>([:])
}

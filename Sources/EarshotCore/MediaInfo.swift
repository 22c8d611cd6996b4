import Foundation

/// The uploaded media a job transcribes. The bytes live in the media store under `sha256`.
public struct MediaInfo: Codable, Sendable, Hashable {
    public var sha256: String
    /// The client's name for the file, for display and exports only; never used as a path.
    public var filename: String
    public var contentType: String?
    public var sizeBytes: Int64
    /// Probed at upload; `nil` when the file could not be probed (it will fail as unsupported media).
    public var durationSeconds: Double?
    /// When the `cleanup` plugin deleted the file (retention); such a job cannot be retried.
    public var removedAt: Date?

    public init(sha256: String, filename: String, contentType: String?, sizeBytes: Int64, durationSeconds: Double?, removedAt: Date? = nil) {
        self.sha256 = sha256
        self.filename = filename
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.durationSeconds = durationSeconds
        self.removedAt = removedAt
    }
}

/// A job's request to find who speaks when (`diarize=true`), with what is known of the number of
/// speakers. Absent on a job that does not ask for it.
public struct DiarizationOptions: Codable, Sendable, Hashable {
    /// At least this many speakers (1…20); nil: found from the audio.
    public var minSpeakers: Int?
    /// At most this many speakers (1…20); nil: up to 8.
    public var maxSpeakers: Int?

    public static let speakerRange = 1...20

    public init(minSpeakers: Int? = nil, maxSpeakers: Int? = nil) {
        self.minSpeakers = minSpeakers
        self.maxSpeakers = maxSpeakers
    }

    /// Checks the bounds a client gave: each within 1…20, the minimum not above the maximum.
    public func validated() throws(DiarizationOptionsError) -> DiarizationOptions {
        for (name, value) in [("min_speakers", minSpeakers), ("max_speakers", maxSpeakers)] {
            if let value, !Self.speakerRange.contains(value) {
                throw DiarizationOptionsError("\(name) must be \(Self.speakerRange.lowerBound)...\(Self.speakerRange.upperBound), got \(value)")
            }
        }
        if let minimum = minSpeakers, let maximum = maxSpeakers, minimum > maximum {
            throw DiarizationOptionsError("min_speakers (\(minimum)) is more than max_speakers (\(maximum))")
        }
        return self
    }
}

/// Speaker bounds that cannot be met; the message names the field.
public struct DiarizationOptionsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import EarshotCore
import Foundation

/// Audio decoded for the engine: raw little-endian float32, mono, 16 kHz, in a file.
public struct DecodedAudio: Sendable, Hashable {
    public var url: URL
    public var sampleCount: Int
    public static let sampleRate = 16_000

    public var durationSeconds: Double { Double(sampleCount) / Double(Self.sampleRate) }

    /// `url` holds `sampleCount` little-endian float32 mono samples at 16 kHz.
    public init(url: URL, sampleCount: Int) {
        self.url = url
        self.sampleCount = sampleCount
    }
}

/// Why a file could not be turned into audio.
public enum AudioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// ffmpeg could not read it as media, or it holds no audio stream. Carries ffmpeg's reason.
    case unsupportedMedia(String)
    /// ffmpeg itself is missing or failed to start.
    case toolUnavailable(String)

    public var description: String {
        switch self {
        case .unsupportedMedia(let reason): reason
        case .toolUnavailable(let reason): reason
        }
    }
}

/// Decodes and probes media with ffmpeg/ffprobe.
public struct AudioDecoder: Sendable {
    public var ffmpeg: String
    public var ffprobe: String

    public init(ffmpeg: String = "ffmpeg", ffprobe: String = "ffprobe") {
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
    }

    /// Decodes anything ffmpeg reads (audio, or a video's first audio stream) to 16 kHz mono f32.
    public func decode(_ input: URL, to output: URL) async throws -> DecodedAudio {
        let result: ProcessRunner.Result
        do {
            result = try await ProcessRunner.run(ffmpeg, [
                "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", input.path,
                "-vn", "-map", "0:a:0", "-f", "f32le", "-acodec", "pcm_f32le", "-ac", "1", "-ar", String(DecodedAudio.sampleRate),
                output.path,
            ])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AudioError.toolUnavailable("could not run \(ffmpeg): \(error)")
        }
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: output)
            // A killed ffmpeg says nothing about the file; only its own refusal does.
            if result.killedBySignal { throw AudioError.toolUnavailable("ffmpeg was killed by signal \(result.status)") }
            throw AudioError.unsupportedMedia(Self.reason(from: result.standardErrorText, status: result.status))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? NSNumber)?.intValue ?? 0
        guard size > 0 else {
            try? FileManager.default.removeItem(at: output)
            throw AudioError.unsupportedMedia("the file contains no audio samples")
        }
        return DecodedAudio(url: output, sampleCount: size / MemoryLayout<Float>.size)
    }

    /// The container's duration in seconds, or `nil` when ffprobe cannot read the file as media.
    public func probeDuration(_ input: URL) async -> Double? {
        guard let result = try? await ProcessRunner.run(ffprobe, [
            "-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", input.path,
        ]), result.status == 0 else { return nil }
        let text = String(decoding: result.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else { return nil }
        return seconds
    }

    /// ffmpeg's last meaningful stderr line, which names the actual problem.
    static func reason(from stderr: String, status: Int32) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let last = lines.last else { return "ffmpeg exited with status \(status)" }
        let detail = lines.suffix(2).joined(separator: "; ")
        return "ffmpeg could not decode the file: \(last == detail ? last : detail)"
    }
}

extension DecodedAudio {
    /// The samples of ``url`` (little-endian float32), for engines that work on them in memory;
    /// nil when the file cannot be read.
    public func loadSamples() -> [Float]? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

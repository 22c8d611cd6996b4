import Foundation

/// Reads the test material: 16 kHz mono 16-bit PCM, as WAV or headerless little-endian raw.
public enum AudioFile {
    /// Samples scaled to −1…1 (s16 / 32768, as ffmpeg's f32le conversion).
    public static func read(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        if url.pathExtension.lowercased() == "raw" { return samples(fromPCM: data[...]) }
        return try wav(data)
    }

    /// PCM samples of a RIFF/WAVE file; only 16 kHz mono s16 is accepted.
    public static func wav(_ data: Data) throws -> [Float] {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else { throw AudioFileError("not a RIFF/WAVE file") }
        var offset = 12
        var format: (channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                format = (u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                guard let format, format.channels == 1, format.rate == 16_000, format.bits == 16 else {
                    throw AudioFileError("need 16 kHz mono s16 PCM, got \(String(describing: format))")
                }
                let end = min(bytes.count, body + size)
                return samples(fromPCM: data[data.startIndex + body..<data.startIndex + end])
            }
            offset = body + size + (size & 1)
        }
        throw AudioFileError("no data chunk")
    }

    /// Little-endian s16 → Float.
    public static func samples(fromPCM data: Data.SubSequence) -> [Float] {
        let bytes = [UInt8](data)
        return (0..<bytes.count / 2).map { i in
            Float(Int16(bitPattern: UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8)) / 32768
        }
    }
}

/// A file that is not the expected audio format.
public struct AudioFileError: Error, CustomStringConvertible {
    /// What was wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

extension AudioFile {
    /// 16 kHz mono s16 WAV bytes of `samples` (clipped to −1…1).
    public static func wavData(_ samples: [Float]) -> Data {
        var data = Data()
        func append32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append32(36 + 2 * samples.count)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append32(16); append16(1); append16(1)
        append32(16_000); append32(32_000); append16(2); append16(16)
        data.append(contentsOf: Array("data".utf8)); append32(2 * samples.count)
        for sample in samples {
            let value = Int16((max(-1, min(1, sample.isFinite ? sample : 0)) * 32767).rounded())
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }
}

import Foundation

extension EventData {
    /// The data as the event log stores it: the JSON `EarshotJSON.encoder()` writes (snake_case
    /// keys, sorted), which `EventData.decode` reads back.
    ///
    /// `job.*` and `transcript.*` events are written by hand: four of them go with every job
    /// (created, claimed, succeeded, transcript created), inside the store's single write
    /// transaction, and Foundation's encoder (a container per level, snake_case conversion and
    /// key sorting per call) was most of their cost in the coordinator benchmark's profile. Tests
    /// hold the two encodings to the same decoded value.
    public func storedJSON() throws -> Data {
        switch self {
        case .job(let value): value.handWrittenJSON()
        case .transcript(let value): value.handWrittenJSON()
        default: try encoded(using: EarshotJSON.encoder())
        }
    }
}

extension TranscriptEventData {
    /// As ``JobEventData/handWrittenJSON()``: `transcript.created` goes with every finished job.
    func handWrittenJSON() -> Data {
        var json = JSONObjectWriter()
        json.member("duration_seconds", number: durationSeconds)
        json.member("job_id", string: jobId.rawValue)
        json.member("language", string: language)
        if let revision { json.member("revision", raw: String(revision)) }
        if let segment { json.member("segment", raw: String(segment)) }
        json.member("segment_count", raw: String(segmentCount))
        if let source { json.member("source", string: source.rawValue) }
        if let speaker { json.member("speaker", string: speaker) }
        if let text { json.member("text", string: text) }
        return Data(json.finished().utf8)
    }
}

extension JobEventData {
    /// Keys in sorted order, absent optionals left out, as the synthesized `Codable` conformance
    /// and a `.sortedKeys` encoder would write them.
    func handWrittenJSON() -> Data {
        var json = JSONObjectWriter()
        if let attempt { json.member("attempt", raw: String(attempt)) }
        if let error {
            var nested = JSONObjectWriter()
            nested.member("code", string: error.code)
            nested.member("message", string: error.message)
            json.member("error", raw: nested.finished())
        }
        if let holder { json.member("holder", string: holder) }
        json.member("job_id", string: jobId.rawValue)
        if let progress { json.member("progress", number: progress) }
        if let reason { json.member("reason", string: reason) }
        json.member("state", string: state.rawValue)
        return Data(json.finished().utf8)
    }
}

/// A minimal JSON object writer: members in the order given, strings escaped as JSON requires
/// (quote, backslash and control characters; `/` and non-ASCII text left as they are).
private struct JSONObjectWriter {
    private var text = "{"

    mutating func member(_ key: String, string value: String) {
        member(key, raw: Self.quoted(value))
    }

    /// A finite number as Swift prints it (the shortest text that reads back the same); JSON has
    /// no infinities or NaN, which Foundation's encoder would refuse, so they are written as null.
    mutating func member(_ key: String, number value: Double) {
        member(key, raw: value.isFinite ? value.description : "null")
    }

    mutating func member(_ key: String, raw value: String) {
        if text.utf8.count > 1 { text += "," }
        text += Self.quoted(key)
        text += ":"
        text += value
    }

    func finished() -> String { text + "}" }

    static func quoted(_ value: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        bytes.reserveCapacity(value.utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }
}

// libFuzzer targets for the parsers Earshot owns. Compiled together with EarshotCore's sources
// (one module, no SwiftPM) by scripts/fuzz-native.sh; EARSHOT_FUZZ_TARGET picks the target.
// Each checks more than "no crash" where a property exists: round trips and inverses.
import Foundation

/// The target chosen for this process.
private let target: (Data) -> Void = {
    let name = ProcessInfo.processInfo.environment["EARSHOT_FUZZ_TARGET"] ?? ""
    guard let body = FuzzTargets.all[name] else {
        FileHandle.standardError.write(Data("EARSHOT_FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted())\n".utf8))
        exit(2)
    }
    return body
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    target(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

enum FuzzTargets {
    static let all: [String: (Data) -> Void] = [
        "event-json": eventJSON,
        "transcript-import": transcriptImport,
        "query-text": queryText,
        "text-diff": textDiff,
        "node-messages": nodeMessages,
        "live-hello": liveHello,
        "live-audio": liveAudio,
        "feed-xml": feedXML,
        "config-file": configFile,
        "torch-checkpoint": torchCheckpoint,
    ]

    /// An event that decodes re-encodes to an equal event (what the log stores is what it serves).
    static func eventJSON(_ data: Data) {
        guard let event = try? EarshotJSON.decoder().decode(Event.self, from: data) else { return }
        let encoded = try! EarshotJSON.encoder().encode(event)
        let again = try! EarshotJSON.decoder().decode(Event.self, from: encoded)
        precondition(again == event, "an event changed on its way through JSON")
    }

    /// Subtitle and transcript files from feeds: any text either fails cleanly or gives segments
    /// with finite, ordered times that export as SRT.
    static func transcriptImport(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        for format in TranscriptImport.Format.allCases {
            guard let segments = try? TranscriptImport.segments(text, format: format) else { continue }
            for segment in segments {
                precondition(segment.start.isFinite && segment.end.isFinite, "a segment with a time that is not a number")
                precondition(segment.start <= segment.end, "a segment that ends before it starts")
            }
            _ = ExportFormat.render(Transcript(
                jobID: JobID(rawValue: "00000000-0000-0000-0000-000000000000"), title: "t", source: "s", language: "en", model: "m",
                durationSeconds: segments.last?.end ?? 0, processingSeconds: 0, createdAt: Date(timeIntervalSince1970: 0), segments: segments
            ), as: .srt)
        }
    }

    /// Query parameters and identifiers: filters, search terms, timestamps, ids, URLs.
    static func queryText(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let filter = try? EventTypeFilter(parsing: text) {
            precondition(filter.matchingTypes.allSatisfy(filter.matches), "a filter's types do not match it")
        }
        if let terms = try? SearchTerms(parsing: text) {
            precondition(!terms.words.isEmpty && terms.words.allSatisfy { !$0.isEmpty }, "search terms without words")
        }
        if let date = ISO8601Timestamp.parse(text) {
            let formatted = ISO8601Timestamp.format(date)
            let again = ISO8601Timestamp.parse(formatted)
            precondition(again.map { abs($0.timeIntervalSince(date)) < 0.001 } ?? false, "\(formatted) does not read back as itself")
        }
        _ = ISO8601Timestamp.parseDateOrTimestamp(text)
        if let id = JobID(validating: text) { precondition(JobID(validating: id.rawValue) == id, "a job id that does not validate twice") }
        let masked = URLCredentials.masked(text)
        precondition(URLCredentials.masked(masked) == masked, "masking credentials twice changes the text")
        _ = try? StreamURL.validate(text, allowFiles: false)
        _ = try? UserAccount.validate(username: text)
        _ = try? AccessScope.parse(text.split(separator: ",").map(String.init))
        for size in [1, 100, Int.max] {
            if let range = ByteRange.parse(text, size: size) {
                precondition(range.lowerBound >= 0 && range.upperBound < size, "a range outside the file: \(range) of \(size)")
            }
        }
    }

    /// A correction's changes, applied to the original, give the correction.
    static func textDiff(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false)
        let original = String(parts[0])
        let revised = parts.count > 1 ? String(parts[1]) : ""
        let changes = TextDiff.changes(from: original, to: revised)
        let applied = TextDiff.apply(changes, to: original)
        precondition(
            TextDiff.words(applied) == TextDiff.words(revised),
            "applying the changes from \(original.debugDescription) to \(revised.debugDescription) gave \(applied.debugDescription)"
        )
    }

    /// What nodes send the coordinator: heartbeats, claims, progress, completions.
    static func nodeMessages(_ data: Data) {
        let decoder = EarshotJSON.decoder()
        _ = try? decoder.decode(NodeHeartbeat.self, from: data)
        _ = try? decoder.decode(ClaimRequest.self, from: data)
        _ = try? decoder.decode(ProgressReport.self, from: data)
        _ = try? decoder.decode(CompletionReport.self, from: data)
        if let transcript = try? decoder.decode(Transcript.self, from: data) {
            for format in ExportFormat.allCases { _ = ExportFormat.render(transcript, as: format, metadata: [:]) }
        }
    }

    /// A live client's hello and control messages: refused with a code, or settings within the
    /// rules (an allowed model, 16 kHz, a name-shaped session id, a language tag).
    static func liveHello(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        _ = LiveHello.isEndMessage(text)
        do {
            let settings = try LiveHello.settings(from: text, allowedModels: ["tiny.en", "base"], defaultModel: "tiny.en", newSessionId: { "fresh" })
            precondition(["tiny.en", "base"].contains(settings.options.model), "a model outside the allowed list")
            precondition(InputRules.isName(settings.sessionId), "a session id that is not a name")
            precondition(settings.options.language.map(InputRules.isLanguageTag) ?? true, "a language that is not a tag")
        } catch {
            precondition(["invalid_hello", "unknown_model"].contains(error.code) && !error.message.isEmpty, "a refusal without a code")
        }
    }

    /// Binary frames as a client sends them, split anywhere: every whole sample comes out once, in
    /// -1...1, whatever the split.
    static func liveAudio(_ data: Data) {
        guard let first = data.first else { return }
        let format: PCMDecoder.Format = first & 1 == 0 ? .f32le : .s16le
        let bytes = Array(data.dropFirst())
        var whole = PCMDecoder(format: format)
        let all = whole.samples(from: bytes)
        var split = PCMDecoder(format: format)
        let cut = bytes.isEmpty ? 0 : Int(first) % (bytes.count + 1)
        let pieces = split.samples(from: bytes[..<cut]) + split.samples(from: bytes[cut...])
        precondition(all.count == bytes.count / (format == .f32le ? 4 : 2), "samples lost or invented")
        precondition(pieces == all, "a split frame decoded differently")
        precondition(all.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 }, "a sample outside -1...1")
    }

    /// Podcast feeds from any server: refused in words, or episodes with sane fields.
    static func feedXML(_ data: Data) {
        do {
            let feed = try FeedParser.parse(data)
            precondition(feed.episodes.count <= FeedParser.maxEpisodes, "more episodes than the cap")
            for episode in feed.episodes {
                precondition(!episode.guid.isEmpty, "an episode without an id")
                if let duration = episode.durationSeconds { precondition(duration.isFinite && duration >= 0, "a negative or infinite duration") }
            }
        } catch {
            precondition(!error.description.isEmpty, "a refusal without a reason")
        }
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        if let duration = FeedParser.duration(text) { precondition(duration >= 0, "a negative duration") }
        _ = FeedParser.date(text)
    }

    /// A configuration file as a person might write it: refused with a message that names the
    /// file, or settings and plugins that survive their own encoding (what `/settings` shows).
    static func configFile(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        do {
            let file = try ConfigurationFile.parse(text, name: "earshot.yaml")
            for (key, value) in file.values {
                _ = try? ConfigurationValue.integer(value, key: key)
                if let number = try? ConfigurationValue.number(value, key: key) { precondition(number.isFinite, "a number that is not finite") }
                _ = try? ConfigurationValue.boolean(value, key: key)
                precondition(ConfigurationValue.list(value).allSatisfy { !$0.isEmpty && !$0.contains(",") }, "a list item that is empty or holds a comma")
            }
            let names = file.plugins.map(\.name)
            precondition(Set(names).count == names.count, "two plugins with one name")
            let encoded = try! JSONEncoder().encode(file.plugins)
            precondition(try! JSONDecoder().decode([PluginSpec].self, from: encoded) == file.plugins, "a plugin changed on its way through JSON")
        } catch {
            precondition(error.description.contains("earshot.yaml"), "a refusal that does not name the file: \(error)")
        }
    }

    /// The speaker model's checkpoint format (legacy torch pickles): tensors whose value counts
    /// match their shapes, or a refusal in words.
    static func torchCheckpoint(_ data: Data) {
        do {
            for tensor in try LegacyTorchCheckpoint.tensors(in: data, stateKey: "model_state") {
                precondition(tensor.values.count == tensor.shape.reduce(1, *), "\(tensor.name): values do not fill its shape")
            }
        } catch {
            precondition(!error.description.isEmpty, "a refusal without a reason")
        }
    }
}

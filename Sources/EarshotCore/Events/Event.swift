import Foundation

/// One recorded change. Events are appended to the store's log in the same transaction as the
/// change they describe, numbered by a gap-free-per-store, increasing `seq`, and replayed from
/// there (SSE `Last-Event-ID`).
public struct Event: Sendable, Hashable, Codable {
    /// The version of this JSON shape; bumped on an incompatible change.
    public static let schemaVersion = 1

    public var seq: Int64
    /// Unique across stores and replicas (a UUID).
    public var id: String
    public var time: Date
    public var type: EventType
    /// The job (or draft) the event belongs to.
    public var correlationId: String?
    /// The event that caused this one, if any.
    public var causationId: String?
    /// Who caused it: `server`, a lease holder such as `node:<id>`, a plugin.
    public var source: String
    public var data: EventData

    public init(
        seq: Int64, id: String, time: Date, type: EventType, correlationId: String?, causationId: String?, source: String, data: EventData
    ) {
        self.seq = seq
        self.id = id
        self.time = time
        self.type = type
        self.correlationId = correlationId
        self.causationId = causationId
        self.source = source
        self.data = data
    }

    private enum CodingKeys: String, CodingKey {
        case version, seq, id, time, type, correlationId, causationId, source, data
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schemaVersion, forKey: .version)
        try container.encode(seq, forKey: .seq)
        try container.encode(id, forKey: .id)
        try container.encode(time, forKey: .time)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(correlationId, forKey: .correlationId)
        try container.encodeIfPresent(causationId, forKey: .causationId)
        try container.encode(source, forKey: .source)
        try data.encode(into: &container, forKey: .data)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int64.self, forKey: .seq)
        id = try container.decode(String.self, forKey: .id)
        time = try container.decode(Date.self, forKey: .time)
        type = try container.decode(EventType.self, forKey: .type)
        correlationId = try container.decodeIfPresent(String.self, forKey: .correlationId)
        causationId = try container.decodeIfPresent(String.self, forKey: .causationId)
        source = try container.decode(String.self, forKey: .source)
        data = try EventData(from: container, forKey: .data, type: type)
    }
}

extension EventData {
    /// The family a type's data belongs to; `job.segment` carries segments, not job state.
    static func family(of type: EventType) -> String {
        type == .jobSegment ? "segments" : type.family
    }

    fileprivate func encode<Key: CodingKey>(into container: inout KeyedEncodingContainer<Key>, forKey key: Key) throws {
        switch self {
        case .job(let value): try container.encode(value, forKey: key)
        case .segments(let value): try container.encode(value, forKey: key)
        case .node(let value): try container.encode(value, forKey: key)
        case .transcript(let value): try container.encode(value, forKey: key)
        case .draft(let value): try container.encode(value, forKey: key)
        case .plugin(let value): try container.encode(value, forKey: key)
        case .stream(let value): try container.encode(value, forKey: key)
        case .audit(let value): try container.encode(value, forKey: key)
        }
    }

    fileprivate init<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, forKey key: Key, type: EventType) throws {
        switch Self.family(of: type) {
        case "segments": self = .segments(try container.decode(SegmentsEventData.self, forKey: key))
        case "node": self = .node(try container.decode(NodeEventData.self, forKey: key))
        case "transcript": self = .transcript(try container.decode(TranscriptEventData.self, forKey: key))
        case "draft": self = .draft(try container.decode(DraftEventData.self, forKey: key))
        case "plugin": self = .plugin(try container.decode(PluginEventData.self, forKey: key))
        case "stream": self = .stream(try container.decode(StreamEventData.self, forKey: key))
        case "audit": self = .audit(try container.decode(AuditEventData.self, forKey: key))
        default: self = .job(try container.decode(JobEventData.self, forKey: key))
        }
    }

    /// Decodes the `data` JSON of an event of type `type`.
    public static func decode(_ type: EventType, from json: Data, using decoder: JSONDecoder) throws -> EventData {
        switch family(of: type) {
        case "segments": .segments(try decoder.decode(SegmentsEventData.self, from: json))
        case "node": .node(try decoder.decode(NodeEventData.self, from: json))
        case "transcript": .transcript(try decoder.decode(TranscriptEventData.self, from: json))
        case "draft": .draft(try decoder.decode(DraftEventData.self, from: json))
        case "plugin": .plugin(try decoder.decode(PluginEventData.self, from: json))
        case "stream": .stream(try decoder.decode(StreamEventData.self, from: json))
        case "audit": .audit(try decoder.decode(AuditEventData.self, from: json))
        default: .job(try decoder.decode(JobEventData.self, from: json))
        }
    }

    /// The `data` JSON alone.
    public func encoded(using encoder: JSONEncoder) throws -> Data {
        switch self {
        case .job(let value): try encoder.encode(value)
        case .segments(let value): try encoder.encode(value)
        case .node(let value): try encoder.encode(value)
        case .transcript(let value): try encoder.encode(value)
        case .draft(let value): try encoder.encode(value)
        case .plugin(let value): try encoder.encode(value)
        case .stream(let value): try encoder.encode(value)
        case .audit(let value): try encoder.encode(value)
        }
    }

    /// Whether this data has the shape `type` calls for.
    public func fits(_ type: EventType) -> Bool {
        switch (self, Self.family(of: type)) {
        case (.job, "job"), (.segments, "segments"), (.node, "node"), (.transcript, "transcript"), (.draft, "draft"), (.plugin, "plugin"),
             (.stream, "stream"), (.audit, "audit"): true
        default: false
        }
    }
}

/// An event before the store stamps it with `seq`, `id` and `time`.
public struct NewEvent: Sendable, Hashable {
    public var type: EventType
    public var correlationId: String?
    public var causationId: String?
    public var source: String
    public var data: EventData

    public init(type: EventType, correlationId: String? = nil, causationId: String? = nil, source: String, data: EventData) {
        precondition(data.fits(type), "event data does not fit \(type.rawValue)")
        self.type = type
        self.correlationId = correlationId
        self.causationId = causationId
        self.source = source
        self.data = data
    }

    /// A `job.*` event correlated with its job.
    public static func job(_ type: EventType, _ data: JobEventData, source: String) -> NewEvent {
        NewEvent(type: type, correlationId: data.jobId.rawValue, source: source, data: .job(data))
    }

    /// An `audit.*` event, recorded by the server.
    public static func audit(_ type: EventType, _ data: AuditEventData) -> NewEvent {
        NewEvent(type: type, source: "server", data: .audit(data))
    }
}

import Foundation

/// The one JSON dialect Earshot speaks everywhere: snake_case keys, ISO 8601 dates.
public enum EarshotJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }

    /// ISO 8601 with milliseconds in UTC, e.g. `2026-11-21T20:03:54.123Z`.
    public static func formatTimestamp(_ date: Date) -> String {
        ISO8601Timestamp.format(date)
    }

    /// Accepts RFC 3339 timestamps with or without fractional seconds, in UTC or with an offset.
    public static func parseTimestamp(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text)
    }
}

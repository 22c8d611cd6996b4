import Foundation

/// Gives the XML reader valid UTF-8 only: feeds in ISO-8859-1, Windows-1252 or UTF-16 are
/// converted (and their declaration says so), bytes that are not the encoding they claim are
/// refused in words rather than read as replacement characters. (Foundation's XMLParser, used
/// before ``FeedXMLReader``, crashed the process on a name that was not valid UTF-8.)
enum FeedEncoding {
    /// The document as UTF-8 with any byte-order mark removed and the declaration's encoding set
    /// to UTF-8; refuses bytes that are not the encoding they claim, and encodings it does not know.
    static func utf8(_ data: Data) throws(FeedError) -> Data {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            guard let text = String(data: data, encoding: .utf16) else { throw FeedError("the feed is not valid UTF-16") }
            return Data(declaringUTF8(text).utf8)
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(bytes.dropFirst(3)) : data
        let declared = declaredEncoding(body)?.lowercased()
        switch declared {
        case nil, "utf-8", "utf8":
            guard String(validating: body, as: UTF8.self) != nil else {
                throw FeedError("the feed is not valid UTF-8 (and declares no other encoding)")
            }
            return body
        case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252", "cp1252":
            let encoding: String.Encoding = declared == "windows-1252" || declared == "cp1252" ? .windowsCP1252 : .isoLatin1
            guard let text = String(data: body, encoding: encoding) else { throw FeedError("the feed is not valid \(declared ?? "")") }
            return Data(declaringUTF8(text).utf8)
        case let other?:
            throw FeedError("the feed's encoding '\(other.prefix(40))' is not supported; use UTF-8")
        }
    }

    /// The `encoding` of the `<?xml …?>` declaration at the start, if any.
    static func declaredEncoding(_ data: Data) -> String? {
        guard let declaration = xmlDeclaration(String(decoding: data.prefix(200), as: UTF8.self)) else { return nil }
        guard let match = declaration.firstMatch(of: #/encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/#) else { return nil }
        return String(match.1)
    }

    private static func xmlDeclaration(_ text: String) -> Substring? {
        guard text.hasPrefix("<?xml"), let end = text.range(of: "?>") else { return nil }
        return text[..<end.upperBound]
    }

    /// The text with its declaration (if any) naming UTF-8, the encoding it is now in.
    private static func declaringUTF8(_ text: String) -> String {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        guard let declaration = xmlDeclaration(text) else { return text }
        let fixed = declaration.replacing(#/encoding\s*=\s*["'][^"']*["']/#, with: "encoding=\"UTF-8\"")
        return String(fixed) + text[declaration.endIndex...]
    }
}

/// A small, strict, non-validating XML reader for feeds: elements with their namespaces and
/// attributes, text (entities and character references decoded, CDATA as is), comments,
/// processing instructions and a document type skipped. It replaces Foundation's XMLParser,
/// which on Linux crashes the whole process on inputs a feed server can send (found by fuzzing:
/// an element name that is not valid UTF-8, an empty processing instruction `<?A?>`, and its DTD
/// callbacks force-unwrap what libxml2 may leave empty).
///
/// Entity declarations are never expanded (the document type is skipped whole), so neither
/// entity expansion nor external entities can be used against the server.
struct FeedXMLReader {
    /// What the reader reports, in document order.
    protocol Handler {
        mutating func start(_ name: String, namespace: String, attributes: [String: String]) throws(FeedError)
        mutating func characters(_ text: String) throws(FeedError)
        mutating func end(_ name: String, namespace: String) throws(FeedError)
    }

    private let bytes: [UInt8]
    private var position = 0
    /// Open elements (qualified names) and, for each, the namespace prefixes it declared.
    private var open: [(name: String, namespaces: [String: String])] = []

    /// The document as UTF-8.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func read(into handler: inout some Handler) throws(FeedError) {
        var sawRoot = false
        while position < bytes.count {
            if bytes[position] != UInt8(ascii: "<") {
                let text = try readText()
                if open.isEmpty {
                    guard text.allSatisfy(\.isWhitespace) else { throw problem("text outside the root element") }
                } else if !text.isEmpty {
                    try handler.characters(text)
                }
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: "<![CDATA[") {
                guard !open.isEmpty else { throw problem("CDATA outside the root element") }
                position += 9
                let start = position
                try skip(past: "]]>", what: "CDATA section")
                try handler.characters(String(decoding: bytes[start..<(position - 3)], as: UTF8.self))
            } else if starts(with: "<!DOCTYPE") {
                guard !sawRoot else { throw problem("a document type after the root element") }
                try skipDocumentType()
            } else if starts(with: "</") {
                try readEndTag(into: &handler)
            } else {
                guard !(sawRoot && open.isEmpty) else { throw problem("a second root element") }
                sawRoot = true
                try readStartTag(into: &handler)
            }
        }
        if let unclosed = open.last { throw problem("<\(unclosed.name)> is never closed") }
        guard sawRoot else { throw problem("no root element") }
    }

    // MARK: Tags

    private mutating func readStartTag(into handler: inout some Handler) throws(FeedError) {
        position += 1
        let name = try readName()
        var attributes: [String: String] = [:]
        var namespaces: [String: String] = [:]
        while true {
            let hadSpace = skipWhitespace()
            guard position < bytes.count else { throw problem("<\(name) is never finished") }
            if starts(with: "/>") || bytes[position] == UInt8(ascii: ">") { break }
            guard hadSpace else { throw problem("attributes of <\(name)> must be separated by spaces") }
            let attribute = try readName()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { throw problem("attribute \(attribute) of <\(name)> has no value") }
            position += 1
            skipWhitespace()
            let value = try readQuoted()
            guard attributes[attribute] == nil else { throw problem("<\(name)> has attribute \(attribute) twice") }
            attributes[attribute] = value
            if attribute == "xmlns" {
                namespaces[""] = value
            } else if attribute.hasPrefix("xmlns:") {
                namespaces[String(attribute.dropFirst(6))] = value
            }
        }
        let selfClosing = bytes[position] == UInt8(ascii: "/")
        position += selfClosing ? 2 : 1
        open.append((name, namespaces))
        let (local, namespace) = resolve(name)
        try handler.start(local, namespace: namespace, attributes: attributes)
        if selfClosing {
            open.removeLast()
            try handler.end(local, namespace: namespace)
        }
    }

    private mutating func readEndTag(into handler: inout some Handler) throws(FeedError) {
        position += 2
        let name = try readName()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw problem("</\(name) is never finished") }
        position += 1
        guard let top = open.last else { throw problem("</\(name)> closes nothing") }
        guard top.name == name else { throw problem("</\(name)> closes <\(top.name)>") }
        let (local, namespace) = resolve(name)
        open.removeLast()
        try handler.end(local, namespace: namespace)
    }

    /// The local name and namespace URI of a qualified name, in the scope of the open elements
    /// (the innermost included). An undeclared prefix has no namespace.
    private func resolve(_ name: String) -> (local: String, namespace: String) {
        let parts = name.split(separator: ":", maxSplits: 1)
        let (prefix, local) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("", name)
        for scope in open.reversed() {
            if let uri = scope.namespaces[prefix] { return (local, uri) }
        }
        return (local, "")
    }

    // MARK: Pieces

    private static let nameEnd: Set<UInt8> = Set(" \t\r\n/>=\"'<&".utf8)

    private mutating func readName() throws(FeedError) -> String {
        let start = position
        while position < bytes.count, !Self.nameEnd.contains(bytes[position]) { position += 1 }
        guard position > start else { throw problem("a tag or attribute without a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func readQuoted() throws(FeedError) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw problem("an attribute value must be quoted")
        }
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote {
            guard bytes[position] != UInt8(ascii: "<") else { throw problem("'<' in an attribute value") }
            position += 1
        }
        guard position < bytes.count else { throw problem("an attribute value is never closed") }
        let raw = bytes[start..<position]
        position += 1
        // Attribute-value normalisation: white space characters become spaces.
        return try decodeReferences(raw).map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }.reduce(into: "") { $0.append($1) }
    }

    private mutating func readText() throws(FeedError) -> String {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") { position += 1 }
        return try decodeReferences(bytes[start..<position])
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#…;` / `&#x…;`; any other entity is an error, as
    /// in XML without a document type.
    private func decodeReferences(_ raw: ArraySlice<UInt8>) throws(FeedError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var result = ""
        var index = raw.startIndex
        var plain = index
        while index < raw.endIndex {
            guard raw[index] == UInt8(ascii: "&") else {
                index += 1
                continue
            }
            result += String(decoding: raw[plain..<index], as: UTF8.self)
            guard let semicolon = raw[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw problem("'&' that starts no entity (write &amp;)")
            }
            let name = String(decoding: raw[(index + 1)..<semicolon], as: UTF8.self)
            switch name {
            case "lt": result += "<"
            case "gt": result += ">"
            case "amp": result += "&"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                let number: UInt32? = if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    UInt32(name.dropFirst(), radix: 10)
                } else {
                    nil
                }
                guard let number, number != 0, let scalar = Unicode.Scalar(number) else { throw problem("unknown entity &\(name.prefix(10));") }
                result.unicodeScalars.append(scalar)
            }
            index = semicolon + 1
            plain = index
        }
        result += String(decoding: raw[plain..<raw.endIndex], as: UTF8.self)
        return result
    }

    /// `<!DOCTYPE …>` with any internal subset (`[ … ]`), whose declarations are ignored.
    private mutating func skipDocumentType() throws(FeedError) {
        var depth = 0
        var quote: UInt8?
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if let open = quote {
                if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ">") where depth <= 0: return
            default: break
            }
        }
        throw problem("the document type is never finished")
    }

    private mutating func skip(past end: String, what: String) throws(FeedError) {
        let marker = Array(end.utf8)
        while position + marker.count <= bytes.count {
            if bytes[position..<(position + marker.count)].elementsEqual(marker) {
                position += marker.count
                return
            }
            position += 1
        }
        throw problem("a \(what) is never finished")
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        return position > start
    }

    private func starts(with text: String) -> Bool {
        let marker = text.utf8
        return bytes.count - position >= marker.count && bytes[position..<(position + marker.count)].elementsEqual(marker)
    }

    private func problem(_ message: String) -> FeedError {
        let line = bytes[..<min(position, bytes.count)].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        return FeedError("the feed is not well-formed XML (line \(line): \(message))")
    }
}

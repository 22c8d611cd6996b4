/// Turns byte-level BPE tokens as tokenizers print them (`vocabulary.txt`: "Ġthe", where each byte is shown
/// as a printable character) back into the raw bytes whisper.cpp expects.
///
/// GPT-2's scheme: the 188 printable bytes stand for themselves; the other 68 are shown as the characters
/// from U+0100 upwards, in byte order.
enum ByteLevelVocabulary {
    static let characterToByte: [Character: UInt8] = {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table: [Character: UInt8] = [:]
        for byte in printable { table[Character(Unicode.Scalar(UInt8(byte)))] = UInt8(byte) }
        var next = 0
        for byte in 0...255 where !printable.contains(byte) {
            table[Character(Unicode.Scalar(UInt32(256 + next))!)] = UInt8(byte)
            next += 1
        }
        return table
    }()

    /// The token's bytes; characters outside the scheme (none in a Whisper vocabulary) are kept as UTF-8.
    static func bytes(of token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for character in token {
            if let byte = characterToByte[character] {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: Array(String(character).utf8))
            }
        }
        return bytes
    }
}

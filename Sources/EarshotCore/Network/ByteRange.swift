/// An HTTP `Range` header, as media downloads and players send it.
public enum ByteRange {
    /// `bytes=N-`, `bytes=N-M` or `bytes=-K` (last K bytes), clamped to a file of `size` bytes; nil
    /// for anything else, several ranges, or a range outside the file.
    public static func parse(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let startText = spec[..<dash]
        let endText = spec[spec.index(after: dash)...]
        if startText.isEmpty {
            guard let suffix = Int(endText), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int(startText), start >= 0, start < size else { return nil }
        let end = endText.isEmpty ? size - 1 : min(Int(endText) ?? -1, size - 1)
        return end >= start ? start...end : nil
    }
}

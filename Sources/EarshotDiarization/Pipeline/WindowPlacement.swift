import Foundation

/// An embedding window and the speech region it was placed in.
struct PlacedWindow: Sendable, Hashable {
    /// The frames the encoder reads.
    var window: EmbeddingWindow
    /// Index of its speech region.
    var region: Int
    /// Centre in frames, where its similarities are anchored for resegmentation.
    var center: Double { Double(window.start) + Double(window.length) / 2 }
}

/// Places embedding windows inside speech regions (the prototype's `place="regions"`, docs/diarization-prototype.md §6.3).
///
/// Windows never straddle a pause, so labels cannot leak from one turn into the next; that lowered
/// DER against windows over a pause-free speech stream.
enum WindowPlacement {
    /// Windows of `windowFrames` every `hopFrames` inside each region of at least `regionMinSeconds`;
    /// when `minWindows` > 0 the hop shrinks so the recording yields about that many windows.
    static func place(
        regions: [FrameRange], windowFrames: Int, hopFrames: Int, minWindows: Int, regionMinSeconds: Double
    ) -> [PlacedWindow] {
        let speechFrames = regions.reduce(0) { $0 + $1.count }
        var hop = max(1, hopFrames)
        if minWindows > 0 {
            hop = max(1, min(hop, speechFrames / minWindows))
        }
        let minimumRegion = regionMinSeconds / AudioFrames.frameSeconds
        var placed: [PlacedWindow] = []
        for (index, region) in regions.enumerated() {
            let count = region.count
            guard Double(count) >= minimumRegion, count > 0 else { continue }
            let length = min(windowFrames, count)
            let lastStart = region.end - length
            var starts: [Int] = []
            if hop >= windowFrames {
                // Sparse: n windows centred in n equal slices of the region.
                let n = max(1, Int((Double(count) / Double(hop)).rounded(.toNearestOrEven)))
                for j in 0..<n {
                    let center = Double(region.start) + (Double(j) + 0.5) * Double(count) / Double(n)
                    let start = Int((center - Double(length) / 2).rounded(.toNearestOrEven))
                    starts.append(min(max(start, region.start), lastStart))
                }
            } else {
                // Dense: evenly spaced from the region's start to its end (numpy.linspace + round).
                let n = 1 + Int((Double(max(0, count - length)) / Double(hop)).rounded(.up))
                let span = Double(lastStart - region.start)
                for j in 0..<n {
                    let value = j == n - 1 && n > 1
                        ? Double(lastStart)
                        : Double(j) * (n > 1 ? span / Double(n - 1) : 0) + Double(region.start)
                    starts.append(Int(value.rounded(.toNearestOrEven)))
                }
            }
            for start in starts {
                placed.append(PlacedWindow(window: EmbeddingWindow(start: start, length: length), region: index))
            }
        }
        return placed
    }
}

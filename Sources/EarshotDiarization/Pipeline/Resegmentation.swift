/// Frame-level speaker labels from window similarities (docs/diarization-prototype.md §6.7).
///
/// Each speech frame scores every speaker by the window-to-centroid similarities of the windows in
/// its own speech region, linearly interpolated between window centres (constant beyond the first
/// and last); regions too short to hold a window use all windows. Label = best score; label runs
/// shorter than `minRunFrames` are then absorbed, shortest first.
enum Resegmentation {
    /// Label per frame (−1 outside speech) for `frameCount` frames.
    /// `similarities` is row-major windows × speakers.
    static func frameLabels(
        frameCount: Int, regions: [FrameRange], windows: [PlacedWindow],
        similarities: [Float], speakers: Int, minRunFrames: Int
    ) -> [Int] {
        var labels = [Int](repeating: -1, count: frameCount)
        guard speakers > 0, !windows.isEmpty else { return labels }
        var byRegion: [Int: [Int]] = [:]
        for (index, window) in windows.enumerated() { byRegion[window.region, default: []].append(index) }
        let everything = Array(windows.indices)

        for (regionIndex, region) in regions.enumerated() where region.count > 0 {
            let members = (byRegion[regionIndex] ?? everything).sorted {
                windows[$0].center != windows[$1].center ? windows[$0].center < windows[$1].center : $0 < $1
            }
            let centers = members.map { windows[$0].center }
            let frames = region.count
            // scores[f·speakers + s]: interpolated similarity of frame f of the region to speaker s.
            var scores = [Double](repeating: 0, count: frames * speakers)
            var segment = 0
            for f in 0..<frames {
                let position = Double(region.start + f) + 0.5
                while segment + 1 < centers.count && centers[segment + 1] <= position { segment += 1 }
                let base = f * speakers
                if position <= centers[0] || segment + 1 >= centers.count {
                    let window = position <= centers[0] ? members[0] : members[members.count - 1]
                    for s in 0..<speakers { scores[base + s] = Double(similarities[window * speakers + s]) }
                } else {
                    let a = members[segment], b = members[segment + 1]
                    let span = centers[segment + 1] - centers[segment]
                    let offset = position - centers[segment]
                    for s in 0..<speakers {
                        let left = Double(similarities[a * speakers + s])
                        let right = Double(similarities[b * speakers + s])
                        scores[base + s] = (right - left) / span * offset + left
                    }
                }
            }
            var local = (0..<frames).map { f in
                var best = 0
                for s in 1..<max(1, speakers) where scores[f * speakers + s] > scores[f * speakers + best] { best = s }
                return best
            }
            absorbShortRuns(&local, scores: scores, speakers: speakers, minRunFrames: minRunFrames)
            for f in 0..<frames { labels[region.start + f] = local[f] }
        }
        return labels
    }

    /// Repeatedly gives the shortest run under `minRunFrames` to a neighbour: the only neighbour at
    /// the ends, otherwise the one whose speaker scores higher summed over the run.
    static func absorbShortRuns(_ labels: inout [Int], scores: [Double], speakers: Int, minRunFrames: Int) {
        while true {
            var starts: [Int] = []
            for f in labels.indices where f == 0 || labels[f] != labels[f - 1] { starts.append(f) }
            guard starts.count > 1 else { return }
            var shortest = 0
            var shortestLength = Int.max
            for (i, start) in starts.enumerated() {
                let length = (i + 1 < starts.count ? starts[i + 1] : labels.count) - start
                if length < shortestLength {
                    shortestLength = length
                    shortest = i
                }
            }
            guard shortestLength < minRunFrames else { return }
            let start = starts[shortest]
            let end = start + shortestLength
            let replacement: Int
            if shortest == 0 {
                replacement = labels[end]
            } else if shortest == starts.count - 1 {
                replacement = labels[start - 1]
            } else {
                let before = labels[start - 1], after = labels[end]
                var beforeScore = 0.0, afterScore = 0.0
                for f in start..<end {
                    beforeScore += scores[f * speakers + before]
                    afterScore += scores[f * speakers + after]
                }
                replacement = beforeScore >= afterScore ? before : after
            }
            for f in start..<end { labels[f] = replacement }
        }
    }
}

/// Window embeddings → speaker labels: spectral clustering, then the clean-up of REPORT.md §6.6.
enum SpeakerClustering {
    /// Labels 0..<k (compact, in order of label value) for the unit-length `embeddings`.
    /// `windowSeconds` is the speech time one window stands for (speech time / window count).
    static func cluster(
        _ embeddings: EmbeddingMatrix, speakers: ClosedRange<Int>, windowSeconds: Double,
        parameters: DiarizationParameters, capWindows: Bool = true
    ) -> [Int] {
        let n = embeddings.rows
        guard n > 1 else { return [Int](repeating: 0, count: n) }
        let cap = parameters.maxClusterWindows
        if capWindows, cap > 1, n > cap {
            // The eigen-decomposition is O(n³): cluster an evenly spaced subset and give every window
            // the nearest of the subset's centroids.
            let step = Double(n - 1) / Double(cap - 1)
            let subset = (0..<cap).map { i in
                i == cap - 1 ? n - 1 : Int((Double(i) * step).rounded(.toNearestOrEven))
            }
            let sample = embeddings.selecting(subset)
            let subsetLabels = cluster(
                sample, speakers: speakers, windowSeconds: windowSeconds * Double(n) / Double(cap),
                parameters: parameters, capWindows: false)
            let count = (subsetLabels.max() ?? 0) + 1
            let centroids = sample.centroids(labels: subsetLabels, count: count)
            return nearest(embeddings, centroids)
        }

        var labels = SpectralClustering.cluster(embeddings, speakers: speakers, parameters: parameters)

        // Dissolve clusters that stand for too little speech into the nearest remaining centroid:
        // mixed or odd windows must not become speakers of their own.
        let floorCount = max(1, speakers.lowerBound)
        for _ in 0..<n {
            var members: [Int: Int] = [:]
            for label in labels { members[label, default: 0] += 1 }
            if members.count <= floorCount { break }
            let present = members.keys.sorted()
            var big = present.filter { Double(members[$0] ?? 0) * windowSeconds >= parameters.minClusterSeconds }
            // When no cluster is big enough (a few seconds of speech cut into pieces), the largest one
            // absorbs the rest. The prototype stopped here instead and reported e.g. five speakers in a
            // 6 s single-speaker clip.
            if big.isEmpty, let largest = present.max(by: { (members[$0] ?? 0, -$0) < (members[$1] ?? 0, -$1) }) {
                big = [largest]
            }
            let small = present.filter { !big.contains($0) }
            if small.isEmpty { break }
            let (compact, _) = compacted(labels.map { big.contains($0) ? $0 : -1 })
            let centroids = embeddings.centroids(labels: compact, count: big.count)
            let similarities = embeddings.similarities(to: centroids)
            for i in 0..<n where compact[i] < 0 {
                labels[i] = big[argmax(similarities, base: i * big.count, count: big.count)]
            }
        }

        // Merge clusters whose centroids are nearly the same voice.
        labels = compacted(labels).labels
        while parameters.mergeThreshold <= 1 {
            let count = (labels.max() ?? 0) + 1
            if count <= floorCount { break }
            let centroids = embeddings.centroids(labels: labels, count: count)
            let similarities = centroids.similarities(to: centroids)
            var best = (similarity: -Float.infinity, a: 0, b: 0)
            for a in 0..<count {
                for b in (a + 1)..<count where similarities[a * count + b] > best.similarity {
                    best = (similarities[a * count + b], a, b)
                }
            }
            if Double(best.similarity) <= parameters.mergeThreshold { break }
            labels = compacted(labels.map { $0 == best.b ? best.a : $0 }).labels
        }

        // Refinement: each window to its most similar centroid, centroids recomputed.
        for _ in 0..<parameters.refineRounds {
            let count = (labels.max() ?? 0) + 1
            let centroids = embeddings.centroids(labels: labels, count: count)
            let updated = nearest(embeddings, centroids)
            if updated == labels { break }
            labels = compacted(updated).labels
        }
        return labels
    }

    /// Index of the most similar centroid for every row.
    static func nearest(_ embeddings: EmbeddingMatrix, _ centroids: EmbeddingMatrix) -> [Int] {
        let k = centroids.rows
        guard k > 0 else { return [Int](repeating: 0, count: embeddings.rows) }
        let similarities = embeddings.similarities(to: centroids)
        return (0..<embeddings.rows).map { argmax(similarities, base: $0 * k, count: k) }
    }

    /// Labels renumbered 0..<count in increasing order of value (numpy.unique's inverse); negative
    /// labels stay −1.
    static func compacted(_ labels: [Int]) -> (labels: [Int], count: Int) {
        let values = Set(labels.filter { $0 >= 0 }).sorted()
        var index: [Int: Int] = [:]
        for (i, value) in values.enumerated() { index[value] = i }
        return (labels.map { index[$0] ?? -1 }, values.count)
    }
}

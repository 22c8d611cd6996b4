/// Spectral clustering with p-pruning and the eigengap rule (docs/diarization-prototype.md §6.5).
///
/// Affinity = cosine similarity; each row keeps only its strongest `keepFraction` entries (self
/// included) so that weak cross-speaker similarities do not blur the graph; the count is the largest
/// gap among the smallest eigenvalues of the normalised Laplacian. The prototype found this far more
/// robust than a fixed AHC threshold, whose distance scale moves with window length and count.
enum SpectralClustering {
    /// Labels 0..<k for unit-length rows of `embeddings`, with k in `speakers` where the window count
    /// allows (k ≤ n − 1 for the eigengap; a lower bound above that gives k = min(lower, n)).
    static func cluster(
        _ embeddings: EmbeddingMatrix, speakers: ClosedRange<Int>, parameters: DiarizationParameters
    ) -> [Int] {
        let n = embeddings.rows
        guard n > 1 else { return [Int](repeating: 0, count: n) }
        let affinity = embeddings.similarities(to: embeddings)

        // p-pruning: keep the ceil(keep·n) largest entries of each row, negatives dropped.
        let keep = max(1, Int((parameters.spectralKeepFraction * Double(n)).rounded(.up)))
        var pruned = [Double](repeating: 0, count: n * n)
        var order = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let base = i * n
            for j in 0..<n { order[j] = j }
            order.sort { affinity[base + $0] != affinity[base + $1] ? affinity[base + $0] > affinity[base + $1] : $0 < $1 }
            for j in order.prefix(keep) {
                pruned[base + j] = max(0, Double(affinity[base + j]))
            }
        }
        // Symmetrise, then L = I − D^(−½) P D^(−½).
        for i in 0..<n {
            for j in (i + 1)..<n {
                let mean = 0.5 * (pruned[i * n + j] + pruned[j * n + i])
                pruned[i * n + j] = mean
                pruned[j * n + i] = mean
            }
        }
        var inverseRoot = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var degree = 0.0
            for j in 0..<n { degree += pruned[i * n + j] }
            inverseRoot[i] = 1 / max(degree, 1e-12).squareRoot()
        }
        var laplacian = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                laplacian[i * n + j] = (i == j ? 1 : 0) - inverseRoot[i] * pruned[i * n + j] * inverseRoot[j]
            }
        }
        guard let (eigenvalues, eigenvectors) = SymmetricEigen.decompose(laplacian, n: n) else {
            return [Int](repeating: 0, count: n)
        }

        let upper = min(speakers.upperBound, n - 1)
        let lower = max(1, speakers.lowerBound)
        var k: Int
        if lower > upper {
            k = min(lower, n)
        } else {
            k = lower
            var bestGap = -Double.infinity
            for candidate in lower...upper {
                let gap = eigenvalues[candidate] - eigenvalues[candidate - 1]
                if gap > bestGap {
                    bestGap = gap
                    k = candidate
                }
            }
        }
        guard k > 1 else { return [Int](repeating: 0, count: n) }

        // Rows of the first k eigenvectors, each scaled to unit length.
        var points = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            var norm = 0.0
            for j in 0..<k {
                let value = eigenvectors[j * n + i]
                points[i * k + j] = value
                norm += value * value
            }
            let scale = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<k { points[i * k + j] *= scale }
        }
        return KMeans.cluster(
            points: points, width: k, k: k,
            restarts: parameters.kMeansRestarts, iterations: parameters.kMeansIterations,
            seed: parameters.kMeansSeed)
    }
}

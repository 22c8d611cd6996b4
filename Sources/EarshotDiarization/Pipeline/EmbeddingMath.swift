/// Row-major matrices of 256-d (or any width) embeddings and the little algebra clustering needs.
struct EmbeddingMatrix: Sendable {
    /// Row-major values, `rows × width`.
    var values: [Float]
    /// Length of each row.
    var width: Int
    /// Number of rows.
    var rows: Int { width > 0 ? values.count / width : 0 }

    /// Row `index` as a slice.
    func row(_ index: Int) -> ArraySlice<Float> {
        values[index * width..<(index + 1) * width]
    }

    /// The rows at `indices`, in that order.
    func selecting(_ indices: [Int]) -> EmbeddingMatrix {
        var out: [Float] = []
        out.reserveCapacity(indices.count * width)
        for index in indices { out += row(index) }
        return EmbeddingMatrix(values: out, width: width)
    }

    /// self · otherᵀ (rows × other.rows), e.g. cosine similarities of unit rows.
    func similarities(to other: EmbeddingMatrix) -> [Float] {
        matmulTransposed(m: rows, n: other.rows, k: width, values, other.values)
    }

    /// Per label 0..<count: the mean of its rows, L2-normalised (zero rows stay zero).
    func centroids(labels: [Int], count: Int) -> EmbeddingMatrix {
        var sums = [Float](repeating: 0, count: count * width)
        var members = [Int](repeating: 0, count: count)
        for (index, label) in labels.enumerated() where label >= 0 && label < count {
            members[label] += 1
            let base = label * width
            var j = 0
            for value in row(index) {
                sums[base + j] += value
                j += 1
            }
        }
        for label in 0..<count where members[label] > 0 {
            let base = label * width
            let scale = 1 / Float(members[label])
            for j in 0..<width { sums[base + j] *= scale }
        }
        var matrix = EmbeddingMatrix(values: sums, width: width)
        matrix.normalizeRows()
        return matrix
    }

    /// Scales every row to unit length (rows of norm below 1e-12 are left as they are, as numpy's
    /// x / max(‖x‖, 1e-12) would leave them nearly so).
    mutating func normalizeRows() {
        for r in 0..<rows {
            let base = r * width
            var norm: Float = 0
            for j in 0..<width { norm += values[base + j] * values[base + j] }
            let length = norm.squareRoot()
            let scale = 1 / max(length, 1e-12)
            for j in 0..<width { values[base + j] *= scale }
        }
    }
}

/// Index of the largest value in values[base..<base+count], the first on ties (numpy.argmax).
@inline(__always)
func argmax(_ values: [Float], base: Int, count: Int) -> Int {
    var best = 0
    for j in 1..<max(1, count) where values[base + j] > values[base + best] {
        best = j
    }
    return best
}

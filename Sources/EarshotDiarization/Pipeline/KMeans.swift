/// k-means with k-means++ seeding and a few restarts, on the (row-normalised) spectral embedding.
enum KMeans {
    /// Labels 0..<k for the `n × width` row-major points, from the restart with the lowest inertia.
    static func cluster(
        points: [Double], width: Int, k: Int, restarts: Int, iterations: Int, seed: UInt64
    ) -> [Int] {
        let n = width > 0 ? points.count / width : 0
        guard n > 0, k > 1 else { return [Int](repeating: 0, count: n) }
        var random = SplitMix64(seed: seed)
        var best: [Int] = [Int](repeating: 0, count: n)
        var bestInertia = Double.infinity
        for _ in 0..<max(1, restarts) {
            var centers = seedCenters(points: points, n: n, width: width, k: k, random: &random)
            var labels = [Int](repeating: 0, count: n)
            for _ in 0..<max(1, iterations) {
                labels = assign(points: points, n: n, width: width, centers: centers, k: k)
                var sums = [Double](repeating: 0, count: k * width)
                var members = [Int](repeating: 0, count: k)
                for i in 0..<n {
                    members[labels[i]] += 1
                    for j in 0..<width { sums[labels[i] * width + j] += points[i * width + j] }
                }
                var updated = centers
                for c in 0..<k where members[c] > 0 {  // an empty cluster keeps its centre
                    for j in 0..<width { updated[c * width + j] = sums[c * width + j] / Double(members[c]) }
                }
                // numpy.allclose: |a − b| ≤ 1e-8 + 1e-5·|b|.
                let converged = zip(updated, centers).allSatisfy { abs($0 - $1) <= 1e-8 + 1e-5 * abs($1) }
                centers = updated
                if converged { break }
            }
            var inertia = 0.0
            for i in 0..<n {
                inertia += squaredDistance(points, i * width, centers, labels[i] * width, width)
            }
            if inertia < bestInertia {
                bestInertia = inertia
                best = labels
            }
        }
        return best
    }

    /// k-means++: the first centre uniformly, each further one with probability ∝ squared distance to
    /// the nearest centre so far (uniformly when all points coincide with centres).
    private static func seedCenters(
        points: [Double], n: Int, width: Int, k: Int, random: inout SplitMix64
    ) -> [Double] {
        var centers: [Double] = []
        centers.reserveCapacity(k * width)
        let first = Int(random.next() % UInt64(n))
        centers += points[first * width..<(first + 1) * width]
        var nearest = [Double](repeating: .infinity, count: n)
        for c in 1..<k {
            var total = 0.0
            for i in 0..<n {
                nearest[i] = min(nearest[i], squaredDistance(points, i * width, centers, (c - 1) * width, width))
                total += nearest[i]
            }
            var pick = Int(random.next() % UInt64(n))
            if total > 0 {
                var target = random.nextUnit() * total
                for i in 0..<n {
                    target -= nearest[i]
                    if target < 0 || i == n - 1 {
                        pick = i
                        break
                    }
                }
            }
            centers += points[pick * width..<(pick + 1) * width]
        }
        return centers
    }

    private static func assign(points: [Double], n: Int, width: Int, centers: [Double], k: Int) -> [Int] {
        (0..<n).map { i in
            var best = 0
            var bestDistance = Double.infinity
            for c in 0..<k {
                let distance = squaredDistance(points, i * width, centers, c * width, width)
                if distance < bestDistance {
                    bestDistance = distance
                    best = c
                }
            }
            return best
        }
    }

    @inline(__always)
    private static func squaredDistance(_ a: [Double], _ aBase: Int, _ b: [Double], _ bBase: Int, _ width: Int) -> Double {
        var sum = 0.0
        for j in 0..<width {
            let d = a[aBase + j] - b[bBase + j]
            sum += d * d
        }
        return sum
    }
}

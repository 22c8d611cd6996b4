import COpenBLAS

/// Pins OpenBLAS to one thread the first time any diarization work runs. On the loaded 2-core server
/// the prototype measured two OpenBLAS threads as up to 10× slower (busy-waiting against the
/// transcription engine), and the per-step GEMMs here are too small to gain from threads anyway.
/// This is process-wide: OpenBLAS has a single thread setting.
let openBLASSingleThreaded: Void = openblas_set_num_threads(1)

/// Row-major single-precision C = A·B (+ C when `accumulate`). A is m×k at `aOffset` with row stride
/// lda, B is k×n with row stride ldb, C is m×n at `cOffset` with row stride ldc. Empty operands are a
/// no-op (OpenBLAS rejects zero sizes, and empty buffers have no base address).
@inline(__always)
func matmul(
    m: Int, n: Int, k: Int,
    _ a: UnsafeBufferPointer<Float>, aOffset: Int = 0, lda: Int,
    _ b: UnsafeBufferPointer<Float>, ldb: Int,
    _ c: UnsafeMutableBufferPointer<Float>, cOffset: Int = 0, ldc: Int,
    accumulate: Bool = false
) {
    guard m > 0, n > 0, k > 0,
          let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress
    else { return }
    assert(aOffset + (m - 1) * lda + k <= a.count, "A out of bounds")
    assert((k - 1) * ldb + n <= b.count, "B out of bounds")
    assert(cOffset + (m - 1) * ldc + n <= c.count, "C out of bounds")
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        1, pa + aOffset, Int32(lda), pb, Int32(ldb),
        accumulate ? 1 : 0, pc + cOffset, Int32(ldc))
}

/// Row-major single-precision C = A·Bᵀ with dense strides: A is m×k, B is n×k, C is m×n.
func matmulTransposed(m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float]) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    guard m > 0, n > 0, k > 0 else { return c }
    assert(a.count >= m * k && b.count >= n * k, "operand too small")
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans,
                    Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(k),
                    0, c, Int32(n))
            }
        }
    }
    return c
}

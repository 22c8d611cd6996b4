import COpenBLAS

/// Eigen-decomposition of a real symmetric matrix with LAPACK `dsyevd` (divide and conquer) from
/// OpenBLAS. Double precision, as numpy's `eigh` gets the float64 Laplacian in the prototype.
enum SymmetricEigen {
    /// Eigenvalues ascending and the matching eigenvectors as the columns of a column-major n×n
    /// matrix (so vector j is vectors[j·n ..< (j+1)·n]); nil when LAPACK reports a failure.
    static func decompose(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        guard n > 0, matrix.count == n * n else { return nil }
        // Symmetric, so row-major and column-major storage are the same matrix.
        var a = matrix
        var values = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "V"))
        var uplo = CChar(UInt8(ascii: "L"))
        var order = Int32(n)
        var lda = Int32(n)
        var info: Int32 = 0

        // Workspace query.
        var workQuery = 0.0
        var iworkQuery: Int32 = 0
        var lwork: Int32 = -1
        var liwork: Int32 = -1
        dsyevd_(&jobz, &uplo, &order, &a, &lda, &values, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(max(1, Int(workQuery.rounded(.up))))
        liwork = max(1, iworkQuery)
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &order, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0, values.allSatisfy(\.isFinite) else { return nil }
        return (values, a)
    }
}

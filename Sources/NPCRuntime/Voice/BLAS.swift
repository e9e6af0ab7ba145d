import CBLAS

/// The one matrix product every voice layer funnels into (OpenBLAS, row-major).
/// This is where synthesis spends its time.
enum BLAS {
    /// C = op(A)·op(B) + beta·C, with op(A) (m, k), op(B) (k, n), C (m, n).
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0, k > 0 else { return }
        // Sizes come from validated layer shapes and frame counts, all far below Int32.max.
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The voice splits its convolutions across its own thread pool (`VoiceWorkspace.parallel`);
    /// OpenBLAS threads on top would oversubscribe the cores (measured: slower than one
    /// thread whenever another process is busy), so each call runs on the calling thread.
    /// Process-wide, set once when the first voice loads.
    static let callerThreadOnly: Void = openblas_set_num_threads(1)
}

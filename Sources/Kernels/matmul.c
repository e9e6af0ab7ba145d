// Type facts and the run-time choice of kernel family for pk_matvec / pk_matmat.
#include <math.h>
#include "quants.h"

static const struct { uint16_t elems, bytes; int8_t act; } type_info[PK_TYPE_COUNT] = {
    [PK_F32] = {1, 4, PK_ACT_F32},      [PK_F16] = {1, 2, PK_ACT_F32},       [PK_BF16] = {1, 2, PK_ACT_F32},
    [PK_Q4_0] = {32, 18, PK_ACT_Q8_32}, [PK_Q4_1] = {32, 20, PK_ACT_Q8_32},  [PK_Q5_0] = {32, 22, PK_ACT_Q8_32},
    [PK_Q5_1] = {32, 24, PK_ACT_Q8_32}, [PK_Q8_0] = {32, 34, PK_ACT_Q8_32},
    [PK_Q2_K] = {256, 84, PK_ACT_Q8_256},  [PK_Q3_K] = {256, 110, PK_ACT_Q8_256},
    [PK_Q4_K] = {256, 144, PK_ACT_Q8_256}, [PK_Q5_K] = {256, 176, PK_ACT_Q8_256},
    [PK_Q6_K] = {256, 210, PK_ACT_Q8_256},
};

int pk_type_supported(int type) { return type >= 0 && type < PK_TYPE_COUNT && type_info[type].elems != 0; }

int pk_block_elems(int type) { return pk_type_supported(type) ? type_info[type].elems : 0; }

size_t pk_row_bytes(int type, int n) {
    const int be = pk_block_elems(type);
    if (be == 0 || n < 0 || n % be != 0) return 0;
    return (size_t)(n / be) * type_info[type].bytes;
}

int pk_act_format(int type) {
    if (pk_t8_file_type(type) >= 0) type = pk_t8_file_type(type);
    return pk_type_supported(type) ? type_info[type].act : -1;
}

size_t pk_act_bytes(int type, int n) {
    if (n < 0) return 0;
    switch (pk_act_format(type)) {
    case PK_ACT_F32: return (size_t)n * sizeof(float);
    case PK_ACT_Q8_32: return (size_t)(n / 32) * sizeof(pk_q8_32);
    case PK_ACT_Q8_256: return (size_t)(n / 256) * sizeof(pk_q8_256);
    default: return 0;
    }
}

// 1 if the kernels handle the type and n is a whole, non-negative number of its blocks.
static int row_ok(int type, int n) { return pk_type_supported(type) && n >= 0 && n % type_info[type].elems == 0; }

// The per-row kernel for this type and CPU; NULL where the level has only whole-matrix
// kernels for the type.
static pk_dot_fn kernel_for(int type) {
    // the T8 layouts: the SIMD levels' whole-matrix kernels take them first
    if (type == PK_Q5_0_T8) return pk_dot_q5_0_t8_scalar;
    if (type == PK_Q4_1_T8) return pk_dot_q4_1_t8_scalar;
    switch (pk_cpu_level()) {
    case PK_CPU_AVX512VNNI: return pk_dot_avx512[type];
    case PK_CPU_AVXVNNI:
    case PK_CPU_AVX2: return pk_dot_avx2[type];
    default: return pk_dot_scalar[type];
    }
}

// 1 if rows of n elements, row_bytes each, can be in the T8 layout of file_type (pk_repack's shapes).
static int t8_shape_ok(int file_type, int n, size_t row_bytes) {
    return n > 0 && n % 32 == 0 && n <= PK_T8_MAX_N && row_bytes == pk_row_bytes(file_type, n);
}

// 1 if the kernels take this type and shape (else the rows get NaN).
static int shape_ok(int type, int n, size_t row_bytes) {
    return pk_t8_file_type(type) >= 0 ? t8_shape_ok(pk_t8_file_type(type), n, row_bytes) : row_ok(type, n);
}

void pk_matvec(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end,
               const void *xq, float *y) {
    const int ok = shape_ok(type, n, row_bytes);
    const int level = ok ? pk_cpu_level() : PK_CPU_SCALAR;
    if (level == PK_CPU_AVX512VNNI && pk_matvec32_avx512(type, w, row_bytes, n, row_begin, row_end, xq, y)) return;
    if (level == PK_CPU_AVXVNNI && pk_matvec32_avxvnni(type, w, row_bytes, n, row_begin, row_end, xq, y)) return;
    if (level == PK_CPU_AVX2 && pk_matvec32_avx2(type, w, row_bytes, n, row_begin, row_end, xq, y)) return;
    const pk_dot_fn dot = ok ? kernel_for(type) : NULL;
    for (int r = row_begin; r < row_end; r++) {
        if (dot) dot((const uint8_t *)w + (size_t)r * row_bytes, n, xq, 0, 1, &y[r]);
        else y[r] = NAN;
    }
}

// Rows per tile of pk_matmat: the tile's weights (about 16 KB) stay in L1 while each
// group of vectors passes over them, so activations stream from L2 once per tile, not per row.
static int rows_per_tile(size_t row_bytes) {
    const size_t rows = row_bytes ? (16 * 1024) / row_bytes : 1;
    return rows < 1 ? 1 : rows > 16 ? 16 : (int)rows;
}

void pk_matmat(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end,
               const void *xq, size_t xq_stride, int n_vec, float *y, size_t y_stride) {
    if (n_vec == 1) {   // decode: the matrix-vector kernels
        pk_matvec(type, w, row_bytes, n, row_begin, row_end, xq, y);
        return;
    }
    const int ok = shape_ok(type, n, row_bytes);
    const int level = ok ? pk_cpu_level() : PK_CPU_SCALAR;
    if (level == PK_CPU_AVX512VNNI &&
        (pk_matmat32_avx512(type, w, row_bytes, n, row_begin, row_end, xq, xq_stride, n_vec, y, y_stride) ||
         pk_matmat_super_avx512(type, w, row_bytes, n, row_begin, row_end, xq, xq_stride, n_vec, y, y_stride)))
        return;
    if (level == PK_CPU_AVXVNNI && pk_matmat32_avxvnni(type, w, row_bytes, n, row_begin, row_end, xq, xq_stride, n_vec, y, y_stride))
        return;
    if (level == PK_CPU_AVX2 &&
        pk_matmat32_avx2(type, w, row_bytes, n, row_begin, row_end, xq, xq_stride, n_vec, y, y_stride))
        return;
    if ((level == PK_CPU_AVX2 || level == PK_CPU_AVXVNNI) &&
        pk_matmat_super_avx2(type, w, row_bytes, n, row_begin, row_end, xq, xq_stride, n_vec, y, y_stride))
        return;
    const pk_dot_fn dot = ok ? kernel_for(type) : NULL;
    const int tile = rows_per_tile(row_bytes);
    for (int r0 = row_begin; r0 < row_end; r0 += tile) {
        const int r1 = row_end - r0 < tile ? row_end : r0 + tile;
        for (int v = 0; v < n_vec; v += PK_MAX_NV) {
            const int nv = n_vec - v < PK_MAX_NV ? n_vec - v : PK_MAX_NV;
            const uint8_t *x = (const uint8_t *)xq + (size_t)v * xq_stride;
            for (int r = r0; r < r1; r++) {
                float out[PK_MAX_NV];
                if (dot) dot((const uint8_t *)w + (size_t)r * row_bytes, n, x, xq_stride, nv, out);
                for (int j = 0; j < nv; j++) y[(size_t)(v + j) * y_stride + r] = dot ? out[j] : NAN;
            }
        }
    }
}

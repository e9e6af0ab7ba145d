// One int16 convolution layer of the voice, three ways, on random weights and inputs: the
// window's quantization plus the direct kernel (3 taps) or the paired outputs (5 and more), and
// Winograd's F(4, 4) (input planes, their quantization, products and output transform). Prints
// microseconds a call and the ratio Winograd / direct. Built and run by bench/voice-conv-layers.sh.
//
//   voice-conv-layers COUT CIN K DILATION COLUMNS REPS
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "voice_kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float uniform(void) { return (rand() % 2001 - 1000) / 1000.0f; }

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s COUT CIN K DILATION COLUMNS REPS\n", argv[0]);
        return 2;
    }
    const int cout = atoi(argv[1]), cin = atoi(argv[2]), k = atoi(argv[3]), d = atoi(argv[4]), reps = atoi(argv[6]);
    const long n = atol(argv[5]);
    if (cout < 1 || cin < 1 || k < 1 || d < 1 || n < 1 || reps < 1 || cout > 4096) return 2;
    const int cinp = (cin + 1) / 2, chunks = pv_winograd_chunks(k), planes = PV_WINOGRAD_PLANES;
    const float slope = 0.1f;
    float *w = malloc(sizeof(float) * cout * cin * k), *ws = malloc(sizeof(float) * cout);
    int32_t *wq = malloc(4L * cout * cinp * k), *even = malloc(4L * cout * cinp * k), *odd = malloc(4L * cout * cinp * k),
            *sum = malloc(4L * cout * cinp * k);
    for (long i = 0; i < (long)cout * cin * k; i++) w[i] = uniform();
    int limit = pv_quantize_weights_i16(w, cout, cin, k, wq, ws);
    if (limit > PV_I16_PAIRED_XMAX) limit = PV_I16_PAIRED_XMAX;
    pv_pair_weights_i16(wq, cout, cin, k, even, odd, sum);
    const long cols = n + (long)(k - 1) * d, ldq = pv_i16_row_columns(cols);
    float *x = malloc(sizeof(float) * cin * cols), *y = malloc(sizeof(float) * cout * n);
    for (long i = 0; i < (long)cin * cols; i++) x[i] = uniform();
    int16_t *xq = malloc(4L * cinp * ldq);
    void *scratch = malloc(1 << 20);

    float *u = malloc(sizeof(float) * planes * cout * cin * chunks), *us = malloc(sizeof(float) * planes * cout);
    const long uplane = (long)cout * cinp * chunks;
    int32_t *uq = malloc(4L * planes * uplane);
    int ulimit[PV_WINOGRAD_PLANES];
    pv_winograd_weights(w, cout, cin, k, u);
    for (int j = 0; j < planes; j++)
        ulimit[j] = pv_quantize_weights_i16(u + (long)j * cout * cin * chunks, cout, cin, chunks, uq + j * uplane, us + j * cout);
    const long tiles_out = (n + 4L * d - 1) / (4L * d) * d, tiles = tiles_out + (long)(chunks - 1) * d;
    const long plane = (long)cin * tiles, vldq = pv_i16_row_columns(tiles), vplane = 2L * cinp * vldq;
    float *v = malloc(sizeof(float) * planes * plane), *coef = malloc(sizeof(float) * planes * cout);
    int16_t *vq = malloc(2L * planes * vplane);

    double direct = 0, winograd = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        const float m = pv_absmax_i16_input(x, cols, cin, 0, cols, slope);
        pv_quantize_window_pairs_i16(x, cols, cin, 0, cinp, 0, 0, cols, cols, limit, m, slope, xq, ldq);
        if (k >= 5)
            pv_conv1d_i16_paired(wq, even, odd, sum, ws, 0, cout, cin, k, d, xq, ldq, ldq, m / limit, y, n, n, 0, scratch, 1 << 20);
        else
            pv_conv1d_i16(wq, ws, 0, cout, cin, k, d, xq, ldq, m / limit, y, n, n, 0);
        double t1 = now();
        float vmax[8] = {0};
        pv_winograd_inputs(x, cols, 0, cin, 0, 0, cols, d, tiles, slope, v, tiles, plane, vmax, scratch);
        for (int j = 0; j < planes; j++) {
            pv_quantize_window_pairs_i16(v + j * plane, tiles, cin, 0, cinp, 0, 0, tiles, tiles, ulimit[j], vmax[j], 1, vq + j * vplane, vldq);
            for (int co = 0; co < cout; co++) coef[j * cout + co] = vmax[j] > 0 ? us[j * cout + co] * vmax[j] / ulimit[j] : 0;
        }
        pv_winograd_conv(uq, uplane, coef, cout, 0, cout, cinp, chunks, d, vq, vldq, vplane, 0, tiles_out, y, n, n, 0, scratch, 1 << 20);
        double t2 = now();
        direct += t1 - t0;
        winograd += t2 - t1;
    }
    printf("%d<-%d k%d d%d, %ld columns: %s %.0f us, Winograd %.0f us, ratio %.2f\n", cout, cin, k, d, n, k >= 5 ? "paired" : "direct",
           direct / reps * 1e6, winograd / reps * 1e6, winograd / direct);
    return 0;
}

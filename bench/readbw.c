// Read bandwidth of this machine with N threads: each thread sums its own slice of a
// buffer far larger than the caches (256 MB), best of several passes, printed in GB/s.
// The decode figures in bench/llm-vs-llamacpp.sh are set beside the tokens/s this allows.
//
//   cc -O2 -mavx2 -pthread bench/readbw.c -o readbw && ./readbw 2
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUFFER_BYTES ((size_t)256 << 20)
#define PASSES 8
#define MAX_THREADS 64

typedef struct {
    const uint8_t *begin;
    size_t bytes;
    pthread_barrier_t *start;
    long long sink;
    double t0, t1;   // this thread's own start and end: the main thread may not run meanwhile
} slice;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *read_slice(void *arg) {
    slice *s = arg;
    pthread_barrier_wait(s->start);
    s->t0 = now();
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (size_t i = 0; i + 64 <= s->bytes; i += 64) {
        acc0 = _mm256_add_epi64(acc0, _mm256_load_si256((const __m256i *)(s->begin + i)));
        acc1 = _mm256_add_epi64(acc1, _mm256_load_si256((const __m256i *)(s->begin + i + 32)));
    }
    long long lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(acc0, acc1));
    s->sink = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    s->t1 = now();
    return NULL;
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: readbw [THREADS 1..%d]\n", MAX_THREADS);
        return 2;
    }
    uint8_t *buffer = aligned_alloc(64, BUFFER_BYTES);
    if (!buffer) {
        fprintf(stderr, "readbw: out of memory\n");
        return 1;
    }
    memset(buffer, 1, BUFFER_BYTES);  // fault every page in before timing
    const size_t per = BUFFER_BYTES / (size_t)threads / 64 * 64;
    double best = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
        pthread_t tid[MAX_THREADS];
        slice slices[MAX_THREADS];
        for (int t = 0; t < threads; t++) {
            slices[t] = (slice){buffer + (size_t)t * per, per, &start, 0, 0, 0};
            pthread_create(&tid[t], NULL, read_slice, &slices[t]);
        }
        pthread_barrier_wait(&start);
        for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
        double first = slices[0].t0, last = slices[0].t1;
        for (int t = 1; t < threads; t++) {
            if (slices[t].t0 < first) first = slices[t].t0;
            if (slices[t].t1 > last) last = slices[t].t1;
        }
        const double seconds = last - first;
        pthread_barrier_destroy(&start);
        const double gbs = (double)per * threads / seconds / 1e9;
        if (gbs > best) best = gbs;
    }
    printf("%.1f\n", best);
    free(buffer);
    return 0;
}

/* The C tests' checks: a failed one prints where and why and is counted in
 * `failures`; the test's main returns non-zero when any failed. */
#ifndef PARLEY_TEST_CHECK_H
#define PARLEY_TEST_CHECK_H
#include <parley.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

/* An error status and a message containing `needle`. */
#define EXPECT_ERR(call, want, needle) do { parley_status st_ = (call); \
    CHECK(st_ == (want) && strstr(parley_last_error(), (needle)) != NULL, "%s: got %s, want %s; message: %s", \
          #call, parley_status_string(st_), parley_status_string(want), parley_last_error()); } while (0)
#define EXPECT_OK(call) do { parley_status st_ = (call); \
    CHECK(st_ == PARLEY_OK, "%s: %s %s", #call, parley_status_string(st_), parley_last_error()); } while (0)

#endif

// Per-thread last-error message behind parley_last_error(). Kept in C because
// _Thread_local storage is simplest here; the symbols are hidden by exports.map.
#include <string.h>
#include "parley_internal.h"

static _Thread_local char last_error[1024];

void pabi_set_last_error(const char *message) {
    if (message == NULL) { last_error[0] = 0; return; }
    size_t n = strlen(message);
    if (n >= sizeof last_error) n = sizeof last_error - 1;
    memcpy(last_error, message, n);
    last_error[n] = 0;
}

const char *pabi_last_error(void) { return last_error; }

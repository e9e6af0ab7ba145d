// Internal to libparley (not installed): helpers shared by the Swift C-ABI layer.
#ifndef PARLEY_INTERNAL_H
#define PARLEY_INTERNAL_H
#include "parley.h"
void pabi_set_last_error(const char *message);
const char *pabi_last_error(void);
#endif

/* The driver is header-only (fuzz_driver.h); SwiftPM needs one C source per C target. */
#include "fuzz_driver.h"

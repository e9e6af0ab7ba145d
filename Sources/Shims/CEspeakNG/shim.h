#include <espeak-ng/speak_lib.h>
#include <dlfcn.h>

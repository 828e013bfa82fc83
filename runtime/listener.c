/* listener.c: see rotor-internal.h */
#include "config.h"
#include "rotor-internal.h"

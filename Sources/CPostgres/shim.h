// Every header of this C library that Swift code uses.
#include <libpq-fe.h>

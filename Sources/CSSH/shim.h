// Every header of this C library that Swift code uses.
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>

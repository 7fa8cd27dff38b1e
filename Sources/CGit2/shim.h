// Every header of this C library that Swift code uses.
#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/odb_backend.h>

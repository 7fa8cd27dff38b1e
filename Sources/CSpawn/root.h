// Private to CSpawn: building roots (root.c), used by the child (spawn.c).
#pragma once
#include "spawn.h"

/// Where building a root stopped: a stage and, for operations, the index; errno says why.
struct failure { int stage; int detail; };

/// Records where it stopped and returns -1 (errno is still the failed call's).
#define FAIL(failure_, stage_, detail_) do { (failure_)->stage = (stage_); (failure_)->detail = (detail_); return -1; } while (0)

/// A fresh root: a private mount tree, a tmpfs at plan->root built from the operations, pivot_root
/// into it, the old root detached, the new one read-only unless not asked. 0, or -1 with errno.
int build_new_root(const struct paastech_spawn_plan *plan, struct failure *failure);

/// A copy of the template mount namespace plan->template_fd, with the plan's operations and moved
/// mounts added. 0, or -1 with errno.
int join_template(const struct paastech_spawn_plan *plan, struct failure *failure);

// SPDX-License-Identifier: Apache-2.0
// The init's run: kernel setup (subreaper, signals, descriptors), spawning the child, and the
// supervision loop. Setup may fail fast; once the child runs, nothing here returns early.
#pragma once

#include <vector>

#include "config.h"
#include "event_log.h"

namespace vigil {

/// Descriptors open when vigil started (inherited from its parent), listed before vigil opens
/// any of its own.
std::vector<int> inheritedFds();

/// Runs the program of `cfg` as the main child and supervises it; returns vigil's exit code.
int runInit(const Config& cfg, EventLog& log, const std::vector<int>& inherited_fds,
            char** environ_now);

}  // namespace vigil

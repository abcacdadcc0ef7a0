// Dead-code elimination: drops bound symbols whose outputs nothing needs, keeping dont_dce ones.
#pragma once

#include "passes/pass_manager.h"

namespace keraunos {

// Returns the number of bound symbols removed.
size_t dce(Trace& trace, PassContext* ctx = nullptr);

}  // namespace keraunos

// The built-in executors. A new executor is a folder under src/executors/ and one line in
// builtin.cpp; nothing else names it.
#pragma once

namespace keraunos {

// Registers the built-in executors with the registry, once (idempotent, thread-safe).
void register_builtin_executors();

}  // namespace keraunos

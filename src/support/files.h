// Small file helpers shared by the kernel caches.
#pragma once

#include <string>

namespace keraunos {

// Creates `path` and its parents (mode 0755); existing directories are fine.
void mkdirs(const std::string& path);
// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);
// Writes atomically: a temporary file in the same directory, then rename (readers see the old
// file or the new one, never a part).
void write_atomic(const std::string& path, const std::string& data);

}  // namespace keraunos

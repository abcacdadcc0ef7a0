// Reading KERAUNOS_* environment options.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace keraunos {

std::optional<std::string> env_string(const char* name);
// A comma-separated list; empty when unset.
std::vector<std::string> env_list(const char* name);
std::vector<std::string> split(const std::string& s, char sep);
std::string trim(const std::string& s);

}  // namespace keraunos

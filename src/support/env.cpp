// Reading KERAUNOS_* environment options.
#include "support/env.h"

#include <cstdlib>

namespace keraunos {

std::optional<std::string> env_string(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) pos = s.size();
    std::string piece = trim(s.substr(start, pos - start));
    if (!piece.empty()) out.push_back(piece);
    start = pos + 1;
  }
  return out;
}

std::vector<std::string> env_list(const char* name) {
  auto v = env_string(name);
  if (!v) return {};
  return split(*v, ',');
}

}  // namespace keraunos

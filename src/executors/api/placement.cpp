// The placement report.
#include "executors/api/placement.h"

#include <algorithm>
#include <sstream>

namespace keraunos {

std::string PlacementReport::table() const {
  size_t w_op = 2, w_ex = 8;
  for (const auto& e : entries) {
    w_op = std::max(w_op, e.op.size());
    w_ex = std::max(w_ex, e.executor.size());
  }
  std::ostringstream os;
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  os << pad("op", w_op) << " | " << pad("executor", w_ex) << " | declined by\n";
  os << std::string(w_op, '-') << "-+-" << std::string(w_ex, '-') << "-+-" << std::string(12, '-') << "\n";
  for (const auto& e : entries) {
    os << pad(e.op, w_op) << " | " << pad(e.executor, w_ex) << " | ";
    for (size_t i = 0; i < e.declined.size(); ++i) os << (i ? "; " : "") << e.declined[i].first << ": " << e.declined[i].second;
    os << "\n";
  }
  return os.str();
}

std::map<std::string, size_t> PlacementReport::counts() const {
  std::map<std::string, size_t> c;
  for (const auto& e : entries)
    if (e.executor != "decomposed") ++c[e.executor];
  return c;
}

std::string PlacementReport::summary() const {
  std::ostringstream os;
  bool first = true;
  size_t decomposed = 0;
  for (const auto& e : entries)
    if (e.executor == "decomposed") ++decomposed;
  for (const auto& [k, v] : counts()) {
    os << (first ? "" : ", ") << k << ": " << v;
    first = false;
  }
  if (decomposed) os << " (" << decomposed << " decomposed)";
  return os.str();
}

}  // namespace keraunos

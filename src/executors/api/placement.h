// The placement report: which executor took each op, and why the others said no.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace keraunos {

struct Placement {
  std::string op;                                             // symbol id, e.g. "torch.nn.functional.layer_norm"
  std::string text;                                           // the bound symbol as printed (first line)
  std::string executor;                                       // who took it; "decomposed" when it was broken into its parts
  bool fused = false;                                         // taken by a fusion executor
  std::vector<std::pair<std::string, std::string>> declined;  // (executor, reason), in priority order
};

struct PlacementReport {
  std::vector<Placement> entries;

  // "op | executor | declined by" rows, one per placement.
  std::string table() const;
  // Ops taken per executor (decompositions not counted).
  std::map<std::string, size_t> counts() const;
  std::string summary() const;  // "fuser: 12, torch: 3 (5 decomposed)"
};

}  // namespace keraunos

// Data-dependent partitioning: groups the bound symbols a predicate selects into regions that a
// fusion executor compiles as one kernel each. Never creates a cycle; deterministic; never mixes
// forward and backward bound symbols.
#pragma once

#include <functional>
#include <vector>

#include "ir/trace.h"

namespace keraunos {

// How a fusion executor groups: consecutive (never reorders) or dataflow.
enum class PartitionMode { Consecutive, Dataflow };

// Returns groups of bound-symbol indices in an order that respects every dependency. Each group
// holds indices in increasing (original) order; a bound symbol the predicate rejects is a group of
// its own.
//  - Consecutive: runs of selected bound symbols, in trace order; never reorders.
//  - Dataflow: selected bound symbols at the same "barrier depth" (the largest number of class
//    changes on any path from the inputs, where each unselected bound symbol is its own class and
//    forward/backward are two more) and connected by data flow or by a shared input form a group.
//    Paths between members of a group stay inside it, so merging cannot create a cycle. Groups are
//    scheduled by a topological sort that prefers the lowest original index.
std::vector<std::vector<size_t>> partition(const Trace& t, const std::function<bool(const BoundSymbol&)>& selected, PartitionMode mode);

struct Region {
  std::vector<ProxyId> inputs;   // values read inside and produced outside, by first appearance
  std::vector<ProxyId> outputs;  // values produced inside and used outside, by first appearance
};
Region make_region(const Trace& t, const std::vector<size_t>& group);

}  // namespace keraunos

// Data-dependent partitioning.
#include "passes/partition.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "support/error.h"

namespace keraunos {
namespace {

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the lowest index represents the group
  }
};

std::vector<std::vector<size_t>> consecutive(const Trace& t, const std::vector<char>& sel) {
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < t.bsyms.size(); ++i) {
    bool bw = t.bsyms[i].has_tag(kBsymBackward);
    if (sel[i] && !groups.empty() && sel[groups.back().back()] && t.bsyms[groups.back().back()].has_tag(kBsymBackward) == bw) {
      groups.back().push_back(i);
    } else {
      groups.push_back({i});
    }
  }
  return groups;
}

std::vector<std::vector<size_t>> dataflow(const Trace& t, const std::vector<char>& sel) {
  const size_t n = t.bsyms.size();
  std::vector<int64_t> producer(t.num_proxies(), -1);
  for (size_t i = 0; i < n; ++i)
    for (ProxyId o : t.bsyms[i].outputs) producer[static_cast<size_t>(o)] = static_cast<int64_t>(i);
  // Predecessors, deduplicated.
  std::vector<std::vector<size_t>> preds(n);
  for (size_t i = 0; i < n; ++i) {
    t.bsyms[i].for_each_input([&](ProxyId p) {
      int64_t pr = producer[static_cast<size_t>(p)];
      if (pr >= 0 && static_cast<size_t>(pr) < i) preds[i].push_back(static_cast<size_t>(pr));
    });
    std::sort(preds[i].begin(), preds[i].end());
    preds[i].erase(std::unique(preds[i].begin(), preds[i].end()), preds[i].end());
  }
  // Class: unselected bound symbols are each their own class; selected ones are forward or backward.
  auto cls = [&](size_t i) -> int64_t {
    if (!sel[i]) return -1 - static_cast<int64_t>(i);
    return t.bsyms[i].has_tag(kBsymBackward) ? 1 : 0;
  };
  std::vector<int64_t> depth(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t p : preds[i]) depth[i] = std::max(depth[i], depth[p] + (cls(p) != cls(i) ? 1 : 0));
  // Union selected neighbours with equal (class, depth): producer-consumer edges and shared inputs.
  UnionFind uf(n);
  for (size_t i = 0; i < n; ++i) {
    if (!sel[i]) continue;
    for (size_t p : preds[i])
      if (sel[p] && cls(p) == cls(i) && depth[p] == depth[i]) uf.unite(p, i);
  }
  std::map<std::tuple<ProxyId, int64_t, int64_t>, size_t> reader_of;  // (value, class, depth) -> first reader
  for (size_t i = 0; i < n; ++i) {
    if (!sel[i]) continue;
    t.bsyms[i].for_each_input([&](ProxyId p) {
      auto [it, inserted] = reader_of.emplace(std::make_tuple(p, cls(i), depth[i]), i);
      if (!inserted) uf.unite(it->second, i);
    });
  }
  // Groups, and a topological order of them preferring the lowest original index.
  std::vector<size_t> group_of(n);
  std::unordered_map<size_t, size_t> gid;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < n; ++i) {
    size_t root = uf.find(i);
    auto [it, inserted] = gid.emplace(root, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);
    group_of[i] = it->second;
  }
  const size_t g = groups.size();
  std::vector<std::vector<size_t>> succ(g);
  std::vector<size_t> indeg(g, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t p : preds[i]) {
      size_t a = group_of[p], b = group_of[i];
      if (a == b) continue;
      succ[a].push_back(b);
    }
  for (auto& s : succ) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    for (size_t b : s) ++indeg[b];
  }
  // Groups are numbered by their lowest member, so the group id is the priority.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t k = 0; k < g; ++k)
    if (indeg[k] == 0) ready.push(k);
  std::vector<std::vector<size_t>> ordered;
  ordered.reserve(g);
  while (!ready.empty()) {
    size_t k = ready.top();
    ready.pop();
    ordered.push_back(std::move(groups[k]));
    for (size_t s : succ[k])
      if (--indeg[s] == 0) ready.push(s);
  }
  KERAUNOS_CHECK(ordered.size() == g, "partition: the grouped graph has a cycle (a bug in the partitioner)");
  return ordered;
}

}  // namespace

std::vector<std::vector<size_t>> partition(const Trace& t, const std::function<bool(const BoundSymbol&)>& selected, PartitionMode mode) {
  std::vector<char> sel(t.bsyms.size());
  for (size_t i = 0; i < t.bsyms.size(); ++i) sel[i] = selected(t.bsyms[i]) ? 1 : 0;
  return mode == PartitionMode::Consecutive ? consecutive(t, sel) : dataflow(t, sel);
}

Region make_region(const Trace& t, const std::vector<size_t>& group) {
  std::unordered_set<ProxyId> inside;
  for (size_t i : group)
    for (ProxyId o : t.bsyms[i].outputs) inside.insert(o);
  Region r;
  std::unordered_set<ProxyId> seen_in;
  for (size_t i : group)
    t.bsyms[i].for_each_input([&](ProxyId p) {
      if (!inside.count(p) && seen_in.insert(p).second) r.inputs.push_back(p);
    });
  // Used outside: by a bound symbol not in the group, or returned.
  std::unordered_set<size_t> members(group.begin(), group.end());
  std::unordered_set<ProxyId> used_outside;
  for (size_t i = 0; i < t.bsyms.size(); ++i) {
    if (members.count(i)) continue;
    t.bsyms[i].for_each_input([&](ProxyId p) {
      if (inside.count(p)) used_outside.insert(p);
    });
  }
  for (const auto& v : t.outputs)
    v.for_each_proxy([&](ProxyId p) {
      if (inside.count(p)) used_outside.insert(p);
    });
  for (size_t i : group)
    for (ProxyId o : t.bsyms[i].outputs)
      if (used_outside.count(o)) r.outputs.push_back(o);
  return r;
}

}  // namespace keraunos

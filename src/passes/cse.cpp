// Common-subexpression elimination.
#include "passes/cse.h"

#include <unordered_map>

#include "support/error.h"
#include "support/hash.h"

namespace keraunos {
namespace {

struct Key {
  const Symbol* sym;
  const std::vector<Value>* args;
  bool backward;
  uint64_t hash;
  bool operator==(const Key& o) const { return sym == o.sym && backward == o.backward && *args == *o.args; }
};

struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(k.hash); }
};

bool mergeable(const BoundSymbol& b) {
  if (b.outputs.empty()) return false;
  if (b.sym->has_tag(kTagRandom) || b.sym->has_tag(kTagNonFunctional) || b.sym->has_tag(kTagDontDce)) return false;
  if (b.has_tag(kBsymDontDce)) return false;
  // A composite whose decomposition contains a random op is random too (e.g. dropout).
  for (const auto& s : b.subsymbols)
    if (!s.outputs.empty() && !mergeable(s)) return false;
  return true;
}

}  // namespace

size_t cse(Trace& trace, PassContext* ctx) {
  std::vector<ProxyId> rename(trace.num_proxies());
  for (size_t i = 0; i < rename.size(); ++i) rename[i] = static_cast<ProxyId>(i);
  auto map = [&](ProxyId p) { return rename[static_cast<size_t>(p)]; };

  std::unordered_map<Key, size_t, KeyHash> seen;  // -> index into kept
  std::vector<BoundSymbol> kept;
  kept.reserve(trace.bsyms.size());
  size_t merged = 0;
  for (auto& b : trace.bsyms) {
    b.remap(map);
    if (!mergeable(b)) {
      kept.push_back(std::move(b));
      continue;
    }
    uint64_t h = hash_combine(reinterpret_cast<uintptr_t>(b.sym), b.has_tag(kBsymBackward));
    for (const auto& a : b.args) h = hash_combine(h, a.hash());
    Key probe{b.sym, &b.args, b.has_tag(kBsymBackward), h};
    auto it = seen.find(probe);
    if (it != seen.end()) {
      const BoundSymbol& first = kept[it->second];
      bool same_types = first.outputs.size() == b.outputs.size();
      for (size_t i = 0; same_types && i < b.outputs.size(); ++i) same_types = trace.type(first.outputs[i]) == trace.type(b.outputs[i]);
      if (same_types) {
        for (size_t i = 0; i < b.outputs.size(); ++i) rename[static_cast<size_t>(b.outputs[i])] = first.outputs[i];
        ++merged;
        continue;
      }
    }
    kept.push_back(std::move(b));
    const BoundSymbol& k = kept.back();
    seen.emplace(Key{k.sym, &k.args, k.has_tag(kBsymBackward), h}, kept.size() - 1);
  }
  // Keys point into `kept`; it must not reallocate while they are live.
  trace.bsyms = std::move(kept);
  for (auto& v : trace.outputs) v = v.map_proxies(map);
  if (ctx && merged) ctx->notes.push_back(str("cse: merged ", merged, " bound symbol(s)"));
  return merged;
}

}  // namespace keraunos

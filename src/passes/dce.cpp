// Dead-code elimination.
#include "passes/dce.h"

#include <algorithm>

#include "support/error.h"

namespace keraunos {

namespace {

bool has_effect(const BoundSymbol& b) { return b.sym->has_tag(kTagDontDce) || b.has_tag(kBsymDontDce); }

void mark_type_dims(const Trace& t, ProxyId p, std::vector<char>& needed) {
  const auto& ty = t.type(p);
  if (!ty.is_tensor) return;
  for (const auto& d : ty.tensor.shape)
    if (d.is_symbolic()) needed[static_cast<size_t>(d.sym)] = 1;
}

}  // namespace

size_t dce(Trace& trace, PassContext* ctx) {
  std::vector<char> needed(trace.num_proxies(), 0);
  for (const auto& v : trace.outputs) v.for_each_proxy([&](ProxyId p) { needed[static_cast<size_t>(p)] = 1; });
  std::vector<char> keep(trace.bsyms.size(), 0);
  for (size_t i = trace.bsyms.size(); i-- > 0;) {
    const BoundSymbol& b = trace.bsyms[i];
    bool live =
        has_effect(b) || std::any_of(b.outputs.begin(), b.outputs.end(), [&](ProxyId o) { return needed[static_cast<size_t>(o)] != 0; });
    if (!live) continue;
    keep[i] = 1;
    b.for_each_input([&](ProxyId p) { needed[static_cast<size_t>(p)] = 1; });
    for (ProxyId o : b.outputs) mark_type_dims(trace, o, needed);
  }
  size_t removed = 0;
  std::vector<BoundSymbol> out;
  out.reserve(trace.bsyms.size());
  for (size_t i = 0; i < trace.bsyms.size(); ++i) {
    if (keep[i])
      out.push_back(std::move(trace.bsyms[i]));
    else
      ++removed;
  }
  trace.bsyms = std::move(out);
  if (ctx && removed) ctx->notes.push_back(str("dce: removed ", removed, " bound symbol(s)"));
  return removed;
}

}  // namespace keraunos

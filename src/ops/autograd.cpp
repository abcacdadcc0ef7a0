#include "ops/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "ops/prims/grad_helpers.h"

namespace keraunos::ops {
namespace {

void flatten(const BoundSymbol& b, std::vector<BoundSymbol>& out) {
  if (b.sym->is_prim || b.subsymbols.empty()) {
    BoundSymbol leaf = b;
    leaf.subsymbols.clear();
    out.push_back(std::move(leaf));
    return;
  }
  for (const auto& s : b.subsymbols) flatten(s, out);
}

bool floating_tensor(const Trace& t, const Value& v) {
  return v.is_proxy() && t.type(v.as_proxy()).is_tensor && is_floating(t.type(v.as_proxy()).tensor.dtype);
}

}  // namespace

Trace joint_trace(const Trace& forward, const std::vector<bool>& wrt) {
  KERAUNOS_CHECK(wrt.size() == forward.inputs.size(), "autograd: wrt has ", wrt.size(), " entries for ", forward.inputs.size(), " inputs");
  Trace t = forward;
  std::vector<BoundSymbol> prims;
  for (const auto& b : forward.bsyms) flatten(b, prims);
  t.bsyms = std::move(prims);
  // Which proxies depend on an input asked for: only their prims need rules.
  std::unordered_set<ProxyId> live;
  for (size_t i = 0; i < wrt.size(); ++i)
    if (wrt[i]) live.insert(forward.inputs[i]);
  const size_t n_forward = t.bsyms.size();
  for (size_t k = 0; k < n_forward; ++k) {
    bool reads = false;
    t.bsyms[k].for_each_input([&](ProxyId p) { reads = reads || live.count(p) > 0; });
    if (reads)
      for (ProxyId o : t.bsyms[k].outputs) live.insert(o);
  }

  Recorder r(t);
  r.default_tags = kBsymBackward;
  std::unordered_map<ProxyId, Value> grads;
  auto accumulate = [&](ProxyId p, const Value& g) {
    auto it = grads.find(p);
    if (it == grads.end())
      grads.emplace(p, g);
    else
      it->second = grad::add(r, it->second, g);
  };
  // One gradient input per floating tensor output (an output listed twice gets the sum of both).
  const std::vector<Value> outputs = forward.outputs;
  for (const Value& o : outputs) {
    if (!floating_tensor(t, o)) continue;
    TensorType gt = t.type(o.as_proxy()).tensor;
    gt.requires_grad = false;
    const ProxyId g = t.new_tensor(gt);
    t.inputs.push_back(g);
    accumulate(o.as_proxy(), Value::proxy(g));
  }
  for (size_t k = n_forward; k-- > 0;) {
    const BoundSymbol fwd = t.bsyms[k];  // a copy: recording appends to t.bsyms
    std::vector<Value> gs;
    bool any = false;
    for (ProxyId o : fwd.outputs) {
      auto it = grads.find(o);
      const bool use = it != grads.end() && live.count(o) > 0;
      gs.push_back(use ? it->second : Value::none());
      any = any || use;
    }
    if (!any) continue;
    KERAUNOS_CHECK(static_cast<bool>(fwd.sym->grad), "autograd: ", fwd.sym->id,
                   " has no gradient rule (yet); it lies between an input whose gradient is asked for and an output");
    const std::vector<Value> in_grads = fwd.sym->grad(r, fwd, gs);
    for (size_t i = 0; i < fwd.args.size() && i < in_grads.size(); ++i) {
      const Value& arg = fwd.args[i];
      if (in_grads[i].is_none()) continue;
      if (arg.is_proxy() && live.count(arg.as_proxy())) accumulate(arg.as_proxy(), in_grads[i]);
      if (arg.is_tuple() && in_grads[i].is_tuple())  // a list argument (cat's tensors): one gradient each
        for (size_t j = 0; j < arg.as_tuple().size(); ++j) {
          const Value& e = arg.as_tuple()[j];
          const Value& g = in_grads[i].as_tuple()[j];
          if (!g.is_none() && e.is_proxy() && live.count(e.as_proxy())) accumulate(e.as_proxy(), g);
        }
    }
  }
  for (size_t i = 0; i < wrt.size(); ++i) {
    if (!wrt[i]) continue;
    const ProxyId in = forward.inputs[i];
    auto it = grads.find(in);
    t.outputs.push_back(it != grads.end() ? it->second : grad::zeros_like(r, Value::proxy(in)));
  }
  return t;
}

SplitTrace split_joint(const Trace& joint, size_t n_inputs, size_t n_outputs) {
  KERAUNOS_CHECK(n_inputs <= joint.inputs.size() && n_outputs <= joint.outputs.size(), "autograd: split_joint: counts out of range");
  // Proxies the forward part defines: its inputs and its ops' outputs.
  std::unordered_set<ProxyId> forward_defined(joint.inputs.begin(), joint.inputs.begin() + static_cast<long>(n_inputs));
  std::vector<BoundSymbol> fwd_ops, bwd_ops;
  for (const auto& b : joint.bsyms) {
    if (b.has_tag(kBsymBackward)) {
      bwd_ops.push_back(b);
    } else {
      fwd_ops.push_back(b);
      for (ProxyId o : b.outputs) forward_defined.insert(o);
    }
  }
  // The backward ops the input gradients need (rules may record values they then drop).
  {
    std::unordered_set<ProxyId> needed;
    for (size_t i = n_outputs; i < joint.outputs.size(); ++i) joint.outputs[i].for_each_proxy([&](ProxyId p) { needed.insert(p); });
    std::vector<BoundSymbol> kept;
    for (size_t k = bwd_ops.size(); k-- > 0;) {
      const BoundSymbol& b = bwd_ops[k];
      bool use = false;
      for (ProxyId o : b.outputs) use = use || needed.count(o) > 0;
      if (!use) continue;
      b.for_each_input([&](ProxyId p) { needed.insert(p); });
      kept.push_back(b);
    }
    bwd_ops.assign(kept.rbegin(), kept.rend());
  }
  // Saved: what the backward reads that the forward defines, in order of first use.
  std::vector<ProxyId> saved;
  std::unordered_set<ProxyId> seen;
  auto read = [&](ProxyId p) {
    if (forward_defined.count(p) && seen.insert(p).second) saved.push_back(p);
  };
  for (const auto& b : bwd_ops) b.for_each_input(read);
  for (size_t i = n_outputs; i < joint.outputs.size(); ++i) joint.outputs[i].for_each_proxy(read);
  for (ProxyId p : saved)
    if (joint.type(p).is_tensor)
      for (const Dim& d : joint.type(p).tensor.shape)
        KERAUNOS_CHECK(!d.is_symbolic(), "autograd: splitting a trace with symbolic sizes is not written yet (", joint.name_of(p), ")");

  SplitTrace out;
  out.n_outputs = n_outputs;
  out.n_saved = saved.size();
  out.forward = joint;
  out.forward.inputs.assign(joint.inputs.begin(), joint.inputs.begin() + static_cast<long>(n_inputs));
  out.forward.bsyms = std::move(fwd_ops);
  out.forward.outputs.assign(joint.outputs.begin(), joint.outputs.begin() + static_cast<long>(n_outputs));
  for (ProxyId p : saved) out.forward.outputs.push_back(Value::proxy(p));
  out.backward = joint;
  out.backward.inputs = saved;
  out.backward.inputs.insert(out.backward.inputs.end(), joint.inputs.begin() + static_cast<long>(n_inputs), joint.inputs.end());
  out.backward.bsyms = std::move(bwd_ops);
  out.backward.outputs.assign(joint.outputs.begin() + static_cast<long>(n_outputs), joint.outputs.end());
  return out;
}

}  // namespace keraunos::ops

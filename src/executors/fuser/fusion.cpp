// Building the fusion IR from a region, the claim check, and the scheduler.
#include <algorithm>
#include <functional>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "executors/fuser/fusion.h"
#include "ir/printer.h"
#include "ops/prims/prims.h"
#include "support/hash.h"

namespace keraunos::fuser {
namespace {

bool dtype_ok(DType t) { return !is_complex(t) && !is_float8(t); }

using ops::elementwise_info;
using ops::PrimId;

}  // namespace

Decision supports_prim(const Trace& t, const BoundSymbol& b) {
  const auto id = ops::prim_of(*b.sym);
  if (!id) return Decision::no("not a prim (decomposed first)");
  const PrimId p = *id;
  // Every tensor of the op on one device: a kernel runs where its outputs live (a 0-d CPU tensor
  // next to CUDA ones is left to ATen, which reads it as a number).
  std::optional<Device> device;
  for (ProxyId o : b.outputs) {
    const auto& ty = t.type(o);
    if (!ty.is_tensor) return Decision::no("produces a number");
    if (device && !(ty.tensor.device == *device)) return Decision::no("outputs on two devices");
    device = ty.tensor.device;
    if (!dtype_ok(ty.tensor.dtype)) return Decision::no(str("dtype ", torch_name(ty.tensor.dtype), " is not supported"));
    if (ty.tensor.rank() > 8) return Decision::no("rank above 8");
  }
  for (const auto& a : b.args) {
    if (a.is_proxy() && t.type(a.as_proxy()).is_tensor) {
      const auto& tt = t.type(a.as_proxy()).tensor;
      if (!dtype_ok(tt.dtype)) return Decision::no(str("dtype ", torch_name(tt.dtype), " is not supported"));
      if (device && !(tt.device == *device)) return Decision::no(str("operands on ", tt.device.to_string(), " and ", device->to_string()));
    }
  }
  if (ops::is_elementwise(p)) {
    const auto& info = elementwise_info(p);
    if (!info.has(ops::kFuse)) return Decision::no(str("no fused code for ", b.sym->id));
    if (info.has(ops::kFloatCode))
      for (ProxyId o : b.outputs)
        if (!is_floating(t.type(o).tensor.dtype)) return Decision::no(str(info.name, " on integers is left to ATen"));
    return Decision::yes();
  }
  switch (p) {
    case PrimId::cat:
      for (const auto& v : b.args[0].as_tuple()) {
        const auto& tt = t.type(v.as_proxy()).tensor;
        if (!dtype_ok(tt.dtype)) return Decision::no(str("dtype ", torch_name(tt.dtype), " is not supported"));
        if (device && !(tt.device == *device))
          return Decision::no(str("operands on ", tt.device.to_string(), " and ", device->to_string()));
      }
      return Decision::yes();
    case PrimId::pad:
      for (const auto& d : t.type(b.args[0].as_proxy()).tensor.shape)
        if (d.is_constant() && d.size == 0) return Decision::no("padding an empty tensor is left to ATen");
      return Decision::yes();
    case PrimId::take_along_axis:
    case PrimId::gather: {  // (a, index, dim) and (a, dim, index)
      DType it = t.type(b.args[p == PrimId::gather ? 2 : 1].as_proxy()).tensor.dtype;
      if (it != DType::Int64 && it != DType::Int32) return Decision::no(str("an index of dtype ", torch_name(it)));
      return Decision::yes();
    }
    case PrimId::sum:
    case PrimId::prod:
      if (!is_floating(t.type(b.outputs[0]).tensor.dtype)) return Decision::no("integer sums keep torch's wrapping semantics in ATen");
      return Decision::yes();
    case PrimId::convert_element_type:
    case PrimId::shallow_copy:
    case PrimId::broadcast_in_dim:
    case PrimId::reshape:
    case PrimId::transpose:
    case PrimId::squeeze:
    case PrimId::slice:
    case PrimId::flip:
    case PrimId::amax:
    case PrimId::amin:
    case PrimId::var:
    case PrimId::var_mean:
      return Decision::yes();
    default:
      return Decision::no(str("no fused code for ", b.sym->id));
  }
}

std::string_view reduction_name(Reduction r) {
  switch (r) {
    case Reduction::Sum:
      return "sum";
    case Reduction::Prod:
      return "prod";
    case Reduction::Amax:
      return "amax";
    case Reduction::Amin:
      return "amin";
    case Reduction::Mean:
      return "mean";
    case Reduction::Var:
      return "var";
  }
  return "?";
}

namespace {

class Builder {
 public:
  Builder(const Trace& t, const BoundSymbol& region) : t_(t), region_(region) {}

  BuildResult run() {
    BuildResult res;
    for (const auto& a : region_.args) {
      if (!a.is_proxy()) continue;
      ProxyId p = a.as_proxy();
      if (t_.type(p).is_tensor) {
        Node n;
        n.kind = Node::Kind::Input;
        n.dtype = t_.type(p).tensor.dtype;
        n.dims = dims_of(p);
        n.data = InputRef{static_cast<int>(r_.inputs.size())};
        r_.inputs.push_back(p);
        def_[p] = add(std::move(n));
      } else {
        Node n;
        n.kind = Node::Kind::Scalar;
        n.dtype = t_.type(p).number.kind == NumberKind::Int ? DType::Int64 : DType::Float64;
        n.data = InputRef{static_cast<int>(r_.scalars.size())};
        r_.scalars.push_back(p);
        def_[p] = add(std::move(n));
      }
    }
    std::string why;
    std::function<bool(const BoundSymbol&)> visit = [&](const BoundSymbol& b) {
      if (!b.sym->is_prim) {
        for (const auto& s : b.subsymbols)
          if (!visit(s)) return false;
        return true;
      }
      return lower(b, why);
    };
    for (const auto& b : region_.subsymbols)
      if (!visit(b)) {
        res.ok = Decision::no(why);
        return res;
      }
    for (ProxyId o : region_.outputs) {
      auto it = def_.find(o);
      if (it == def_.end()) {
        res.ok = Decision::no("an output is not computed inside the region");
        return res;
      }
      r_.outputs.push_back(it->second);
      r_.output_proxies.push_back(o);
    }
    r_.text = print_bsym(t_, region_, 0, -1);
    res.ok = Decision::yes();
    res.fusion = std::move(r_);
    return res;
  }

 private:
  int add(Node n) {
    r_.nodes.push_back(std::move(n));
    return static_cast<int>(r_.nodes.size()) - 1;
  }

  int size_index(const Dim& d) {
    for (size_t i = 0; i < r_.sizes.size(); ++i)
      if (r_.sizes[i] == d) return static_cast<int>(i);
    r_.sizes.push_back(d);
    return static_cast<int>(r_.sizes.size()) - 1;
  }

  std::vector<int> dims_of(ProxyId p) {
    std::vector<int> out;
    for (const auto& d : t_.type(p).tensor.shape) out.push_back(size_index(d));
    return out;
  }

  // An operand: a tensor or number proxy defined earlier, or a number literal.
  int operand(const Value& v, DType like) {
    if (v.is_proxy()) return def_.at(v.as_proxy());
    Node n;
    n.kind = Node::Kind::Literal;
    n.dtype = like;
    n.data = LiteralValue{v.as_float(), v.is_int() || v.is_bool()};
    return add(std::move(n));
  }

  bool lower(const BoundSymbol& b, std::string& why) {
    Decision d = supports_prim(t_, b);
    if (!d) {
      why = str(b.sym->id, ": ", d.reason);
      return false;
    }
    const PrimId name = *ops::prim_of(*b.sym);
    const TensorType& out = t_.type(b.outputs[0]).tensor;
    Node n;
    n.dtype = out.dtype;
    n.dims = dims_of(b.outputs[0]);
    if (ops::is_elementwise(name)) {
      n.kind = Node::Kind::Elementwise;
      n.prim = name;
      // Numbers take the dtype of the tensor operands (the prims' weak numbers).
      DType like = out.dtype;
      for (const auto& a : b.args)
        if (a.is_proxy() && t_.type(a.as_proxy()).is_tensor) like = t_.type(a.as_proxy()).tensor.dtype;
      for (size_t i = 0; i < b.args.size(); ++i) n.in.push_back(operand(b.args[i], name == PrimId::where && i == 0 ? DType::Bool : like));
    } else if (name == PrimId::convert_element_type || name == PrimId::shallow_copy) {  // a copy is a conversion to the same dtype
      n.kind = Node::Kind::Convert;
      n.in.push_back(operand(b.args[0], out.dtype));
    } else if (name == PrimId::broadcast_in_dim) {
      n.kind = Node::Kind::Broadcast;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      n.data = BroadcastMap{b.args[2].as_ints()};
    } else if (name == PrimId::reshape) {
      n.kind = Node::Kind::Reshape;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
    } else if (name == PrimId::transpose) {
      n.kind = Node::Kind::Transpose;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      n.data = Permutation{b.args[1].as_ints()};
    } else if (name == PrimId::squeeze) {
      n.kind = Node::Kind::Squeeze;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      DimList squeezed{b.args[1].as_ints()};
      int64_t rank = t_.type(b.args[0].as_proxy()).tensor.rank();
      for (auto& dd : squeezed.dims) dd = dd < 0 ? dd + rank : dd;
      n.data = std::move(squeezed);
    } else if (name == PrimId::slice) {
      n.kind = Node::Kind::Slice;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      SliceWindow w;
      for (const auto& v : b.args[1].as_tuple()) {
        if (!v.is_int()) {
          why = "a slice with symbolic bounds";
          return false;
        }
        w.start.push_back(v.as_int());
      }
      w.stride = b.args[3].is_none() ? std::vector<int64_t>(w.start.size(), 1) : b.args[3].as_ints();
      n.data = std::move(w);
    } else if (name == PrimId::cat) {
      // Each output element selects among the inputs by its index along dim (empty inputs dropped).
      n.kind = Node::Kind::Cat;
      int64_t rank = out.rank();
      int64_t dd = b.args[1].as_int();
      const Axis axis{dd < 0 ? dd + rank : dd};
      n.data = axis;
      for (const auto& v : b.args[0].as_tuple()) {
        const Dim& d = t_.type(v.as_proxy()).tensor.shape[static_cast<size_t>(axis.dim)];
        if (d.is_constant() && d.size == 0) continue;
        n.in.push_back(def_.at(v.as_proxy()));
      }
      if (n.in.empty()) {
        why = "a cat of empty tensors";
        return false;
      }
    } else if (name == PrimId::pad) {
      n.kind = Node::Kind::Pad;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      n.in.push_back(operand(b.args[1], out.dtype));
      PadWidths pad;
      for (const auto& cfg : b.args[2].as_tuple()) {  // (low, high, interior) per dim
        const auto v = cfg.as_ints();
        pad.low.push_back(v[0]);
        pad.high.push_back(v[1]);
        pad.interior.push_back(v[2]);
      }
      n.data = std::move(pad);
    } else if (name == PrimId::take_along_axis || name == PrimId::gather) {
      // out[i] = a[i with dim replaced by index[i]]; a's and index's size-1 dims broadcast.
      n.kind = Node::Kind::Gather;
      n.prim = name;
      const bool gather = name == PrimId::gather;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      n.in.push_back(def_.at(b.args[gather ? 2 : 1].as_proxy()));
      int64_t rank = out.rank();
      int64_t dd = b.args[gather ? 1 : 2].as_int();
      n.data = Axis{dd < 0 ? dd + rank : dd};
      r_.checks_indices = true;
    } else if (name == PrimId::flip) {
      n.kind = Node::Kind::Flip;
      n.in.push_back(def_.at(b.args[0].as_proxy()));
      int64_t rank = out.rank();
      DimList flipped;
      for (int64_t dd : b.args[1].as_ints()) flipped.dims.push_back(dd < 0 ? dd + rank : dd);
      n.data = std::move(flipped);
    } else {  // reductions
      int src = def_.at(b.args[0].as_proxy());
      int64_t rank = t_.type(b.args[0].as_proxy()).tensor.rank();
      std::vector<int64_t> dims = b.args[1].as_ints();
      for (auto& dd : dims) dd = dd < 0 ? dd + rank : dd;
      std::sort(dims.begin(), dims.end());
      if (dims.empty()) {
        why = "a reduction over no dims";
        return false;
      }
      n.kind = Node::Kind::Reduce;
      n.data = ReduceDims{dims, 0};
      n.in.push_back(src);
      if (name == PrimId::var || name == PrimId::var_mean) {
        if (!b.args[2].is_int()) {
          why = "a non-integer variance correction";
          return false;
        }
        // Two passes over each row (mean, then squared deviations): the row is in cache for the
        // second, and the result is more accurate than one-pass Welford.
        Node mean = n;
        mean.red = Reduction::Mean;
        mean.dtype = t_.type(b.outputs[name == PrimId::var ? 0 : 1]).tensor.dtype;
        int m = add(std::move(mean));
        Node var = n;
        var.red = Reduction::Var;
        var.in.push_back(m);
        var.data = ReduceDims{dims, b.args[2].as_int()};
        var.dtype = t_.type(b.outputs[0]).tensor.dtype;
        def_[b.outputs[0]] = add(std::move(var));
        if (name == PrimId::var_mean) def_[b.outputs[1]] = m;
        return true;
      }
      n.red = name == PrimId::sum    ? Reduction::Sum
              : name == PrimId::prod ? Reduction::Prod
              : name == PrimId::amax ? Reduction::Amax
                                     : Reduction::Amin;
    }
    def_[b.outputs[0]] = add(std::move(n));
    return true;
  }

  const Trace& t_;
  const BoundSymbol& region_;
  Fusion r_;
  std::unordered_map<ProxyId, int> def_;
};

}  // namespace

BuildResult build_fusion(const Trace& t, const BoundSymbol& region) { return Builder(t, region).run(); }

std::string_view Node::kind_name(Kind k) {
  static const char* names[] = {"input",   "scalar", "literal", "elementwise", "convert", "broadcast", "reshape", "transpose",
                                "squeeze", "slice",  "flip",    "reduce",      "gather",  "cat",       "pad"};
  return names[static_cast<size_t>(k)];
}

namespace {

std::string ints_text(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + std::to_string(v[k]);
  return s + ")";
}

// A node's payload as text: " out_dim=(0, 2)", " start=(0, 1) stride=(1, 2)", ...
struct PayloadText {
  std::string operator()(const std::monostate&) const { return ""; }
  std::string operator()(const InputRef&) const { return ""; }  // the position is the order of the inputs
  std::string operator()(const LiteralValue&) const { return ""; }
  std::string operator()(const BroadcastMap& p) const { return " out_dim=" + ints_text(p.out_dim); }
  std::string operator()(const Permutation& p) const { return " perm=" + ints_text(p.perm); }
  std::string operator()(const DimList& p) const { return " dims=" + ints_text(p.dims); }
  std::string operator()(const SliceWindow& p) const { return " start=" + ints_text(p.start) + " stride=" + ints_text(p.stride); }
  std::string operator()(const Axis& p) const { return " dim=" + std::to_string(p.dim); }
  std::string operator()(const PadWidths& p) const {
    return " low=" + ints_text(p.low) + " high=" + ints_text(p.high) + " interior=" + ints_text(p.interior);
  }
  std::string operator()(const ReduceDims& p) const {
    return " dims=" + ints_text(p.dims) + (p.correction ? " correction=" + std::to_string(p.correction) : "");
  }
};

}  // namespace

std::string describe(const Fusion& r) {
  std::ostringstream os;
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    const Node& n = r.nodes[i];
    os << "n" << i << " = ";
    if (n.kind == Node::Kind::Elementwise || n.kind == Node::Kind::Gather)
      os << ops::prim_name(n.prim);
    else if (n.kind == Node::Kind::Reduce)
      os << reduction_name(n.red);
    else
      os << Node::kind_name(n.kind);
    os << "(";
    for (size_t k = 0; k < n.in.size(); ++k) os << (k ? ", " : "") << "n" << n.in[k];
    if (n.kind == Node::Kind::Literal) os << n.get<LiteralValue>().value;
    os << ")  " << torch_name(n.dtype) << " [";
    for (size_t k = 0; k < n.dims.size(); ++k) os << (k ? ", " : "") << "S" << n.dims[k];
    os << "]" << std::visit(PayloadText{}, n.data) << "\n";
  }
  os << "outputs:";
  for (int o : r.outputs) os << " n" << o;
  os << "\n";
  return os.str();
}

std::string Schedule::str() const {
  std::ostringstream os;
  static const char* names[] = {"pointwise", "inner_persistent", "outer_reduction", "reduction"};
  os << names[static_cast<int>(kind)] << "(iter=[";
  for (size_t i = 0; i < iter_dims.size(); ++i) os << (i ? "," : "") << "S" << iter_dims[i];
  os << "], reduced=[";
  for (size_t i = 0; i < reduced.size(); ++i) os << (i ? "," : "") << reduced[i];
  if (!welford.empty()) {
    os << "], welford=[";
    for (size_t i = 0; i < welford.size(); ++i) os << (i ? "," : "") << "n" << welford[i];
  }
  os << "], vector_width=" << vector_width << ", parallel_threshold=" << parallel_threshold << ")";
  return os.str();
}

uint64_t Schedule::hash() const { return hash_string(str()); }

ScheduleResult schedule_fusion(const Fusion& r) {
  ScheduleResult res;
  std::vector<int> reduces;
  for (size_t i = 0; i < r.nodes.size(); ++i)
    if (r.nodes[i].kind == Node::Kind::Reduce) reduces.push_back(static_cast<int>(i));
  Schedule& s = res.schedule;
  if (reduces.empty()) {
    s.kind = Schedule::Kind::Pointwise;
    s.iter_dims = r.nodes[r.outputs[0]].dims;
    for (int o : r.outputs)
      if (r.nodes[o].dims != s.iter_dims) {
        res.ok = Decision::no("pointwise outputs of different shapes");
        return res;
      }
    res.ok = Decision::yes();
    return res;
  }
  // Every reduction reduces the same dims of a value of the same shape.
  const Node& first = r.nodes[reduces[0]];
  const std::vector<int64_t>& reduced_dims = first.get<ReduceDims>().dims;
  const std::vector<int>& full = r.nodes[first.in[0]].dims;
  for (int ri : reduces) {
    const Node& n = r.nodes[ri];
    if (n.get<ReduceDims>().dims != reduced_dims || r.nodes[n.in[0]].dims != full) {
      res.ok = Decision::no("reductions over different dims or shapes");
      return res;
    }
  }
  s.iter_dims = full;
  for (int d = 0; d < static_cast<int>(full.size()); ++d) {
    if (std::find(reduced_dims.begin(), reduced_dims.end(), d) != reduced_dims.end())
      s.reduced.push_back(d);
    else
      s.kept.push_back(d);
  }
  const std::vector<int>& red_shape = r.nodes[reduces[0]].dims;
  bool inner = true;
  for (size_t i = 0; i < s.reduced.size(); ++i) inner &= s.reduced[i] == static_cast<int>(full.size() - s.reduced.size() + i);
  auto wide = [&](const std::vector<int>& dims) {  // without its size-1 dims
    std::vector<int> w;
    for (int d : dims)
      if (!(r.sizes[static_cast<size_t>(d)].is_constant() && r.sizes[static_cast<size_t>(d)].size == 1)) w.push_back(d);
    return w;
  };
  for (int o : r.outputs) {
    const auto& d = r.nodes[o].dims;
    if (wide(d) == wide(red_shape)) continue;  // the reduced shape, perhaps with its dims kept
    if (d == full && inner) continue;
    res.ok = Decision::no(inner ? "an output that is neither reduced nor of the reduced input's shape"
                                : "full-size outputs next to a reduction over leading dims");
    return res;
  }
  if (inner) {
    s.kind = Schedule::Kind::InnerPersistent;  // the row is in cache: var is a second pass over it, centered
  } else if (s.kept.empty() || s.kept.back() != static_cast<int>(full.size()) - 1) {
    s.kind = Schedule::Kind::Reduction;
  } else {
    s.kind = Schedule::Kind::OuterReduction;
    // A variance whose mean is a reduction of the same value: one Welford sweep computes both.
    for (int ri : reduces) {
      const Node& n = r.nodes[static_cast<size_t>(ri)];
      if (n.red == Reduction::Var && n.in.size() == 2 && r.nodes[static_cast<size_t>(n.in[1])].kind == Node::Kind::Reduce &&
          r.nodes[static_cast<size_t>(n.in[1])].red == Reduction::Mean && r.nodes[static_cast<size_t>(n.in[1])].in[0] == n.in[0])
        s.welford.push_back(ri);
    }
  }
  res.ok = Decision::yes();
  return res;
}

}  // namespace keraunos::fuser

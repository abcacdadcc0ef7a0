// Helpers shared by meta functions.
#include "ops/meta_utils.h"

#include "ir/printer.h"

namespace keraunos::ops {

std::string shape_str(const Trace& t, const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += s[i].is_symbolic() ? t.name_of(s[i].sym) : std::to_string(s[i].size);
  }
  return out + "]";
}

std::string type_str(const Trace& t, const TensorType& tt) { return print_type(t, ProxyType::of(tt)); }

int64_t canonical_dim(std::string_view op, int64_t dim, int64_t rank) {
  int64_t r = rank == 0 ? 1 : rank;  // torch accepts dim 0 / -1 on 0-d tensors
  KERAUNOS_TYPE_CHECK(dim >= -r && dim < r, op, ": dimension ", dim, " is out of range for a tensor of rank ", rank,
                      " (expected a dim in [", -r, ", ", r - 1, "])");
  return dim < 0 ? dim + r : dim;
}

std::vector<int64_t> canonical_dims(std::string_view op, const std::vector<int64_t>& dims, int64_t rank) {
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (int64_t d : dims) {
    int64_t c = canonical_dim(op, d, rank);
    for (int64_t e : out) KERAUNOS_TYPE_CHECK(e != c, op, ": dimension ", d, " appears more than once");
    out.push_back(c);
  }
  return out;
}

bool same_dim(const Dim& a, const Dim& b) { return a == b; }

bool same_shape(const Shape& a, const Shape& b) { return a == b; }

std::optional<int64_t> static_numel(const Shape& s) {
  int64_t n = 1;
  for (const auto& d : s) {
    if (d.is_symbolic()) return std::nullopt;
    n *= d.size;
  }
  return n;
}

Shape broadcast_shapes(const Trace& t, std::string_view op, const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, Dim::constant(1));
  for (const auto& s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      Dim& o = out[off + i];
      const Dim& d = s[i];
      if (d == o) continue;
      if (d.is_constant() && d.size == 1) continue;
      if (o.is_constant() && o.size == 1) {
        o = d;
        continue;
      }
      std::string all;
      for (size_t k = 0; k < shapes.size(); ++k) all += (k ? " and " : "") + shape_str(t, shapes[k]);
      throw TypeError(str(op, ": shapes ", all, " cannot be broadcast together (dimension ", off + i - (rank - s.size()),
                          " of the shape with rank ", s.size(), " is ", d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size),
                          ", expected 1 or ", o.is_symbolic() ? t.name_of(o.sym) : std::to_string(o.size), ")"));
    }
  }
  return out;
}

Dim dim_from_value(const Trace& t, const Value& v) {
  if (v.is_int()) return Dim::constant(v.as_int());
  KERAUNOS_TYPE_CHECK(v.is_proxy() && !t.type(v.as_proxy()).is_tensor, "expected an int size, got ", describe_value(t, v));
  const auto& n = t.type(v.as_proxy()).number;
  if (n.int_value) return Dim::constant(*n.int_value);
  return Dim::symbolic(v.as_proxy());
}

std::vector<Dim> dims_from_value(const Trace& t, const Value& v) {
  std::vector<Dim> out;
  if (!v.is_tuple()) return {dim_from_value(t, v)};
  for (const auto& e : v.as_tuple()) out.push_back(dim_from_value(t, e));
  return out;
}

Param P(std::string name, ParamKind kind) { return Param{std::move(name), kind, std::nullopt, false}; }
Param P(std::string name, ParamKind kind, Value default_value, bool kw_only) {
  return Param{std::move(name), kind, std::move(default_value), kw_only};
}
Param KW(std::string name, ParamKind kind, Value default_value) { return P(std::move(name), kind, std::move(default_value), true); }

Symbol make_prim(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t tags) {
  Symbol s;
  s.id = "prims." + std::string(prim_name(id));
  s.prim = static_cast<int32_t>(id);
  s.is_prim = true;
  s.tags = tags;
  s.params = std::move(params);
  s.meta = std::move(meta);
  return s;
}

Symbol Composites::operator()(std::string id, std::vector<Param> params, DecompFn decomp, uint32_t own_tags) const {
  Symbol s;
  s.id = std::move(id);
  s.tags = own_tags;
  s.params = std::move(params);
  s.decomp = std::move(decomp);
  return s;
}

Symbol Composites::operator()(std::string id, std::vector<Param> params, DecompFn decomp) const {
  return (*this)(std::move(id), std::move(params), std::move(decomp), tags);
}

Symbol python_facts(Symbol s, std::string_view facts) {
  auto policy = [&](std::string_view v) {
    KERAUNOS_CHECK(v == "lower" || v == "fp32", s.id, ": unknown autocast policy '", v, "' (lower or fp32)");
    return v == "lower" ? AutocastPolicy::Lower : AutocastPolicy::Fp32;
  };
  size_t i = 0;
  while (i < facts.size()) {
    size_t j = facts.find(' ', i);
    if (j == std::string_view::npos) j = facts.size();
    const std::string_view w = facts.substr(i, j - i);
    i = j + 1;
    if (w.empty()) continue;
    const size_t eq = w.find('=');
    const std::string_view key = w.substr(0, eq), value = eq == std::string_view::npos ? std::string_view() : w.substr(eq + 1);
    if (w == "view")
      s.tags |= kTagView;
    else if (key == "varargs")
      s.python.vararg_sizes = std::stoi(std::string(value));
    else if (key == "returns")
      s.python.return_type = std::string(value);
    else if (key == "autocast")
      s.python.autocast_cpu = s.python.autocast_cuda = policy(value);
    else if (key == "autocast_cpu")
      s.python.autocast_cpu = policy(value);
    else if (key == "autocast_cuda")
      s.python.autocast_cuda = policy(value);
    else {
      KERAUNOS_CHECK(eq == std::string_view::npos, s.id, ": unknown Python fact '", w, "'");
      s.python.names.emplace_back(w);
    }
  }
  return s;
}

}  // namespace keraunos::ops

// What the fuser's two code generators share (cpp_codegen.cpp: C++ with OpenMP for the CPU;
// cuda_codegen.cpp: CUDA for NVRTC): C types of dtypes, scopes of emitted statements with memoized
// values (a statement goes to the outermost loop that defines every name it uses), the expression
// of every node kind and elementwise op, stores with one rounding to float16/bfloat16, index
// arithmetic, and the reductions' stages, accumulator types and identities. Each target adds its
// loops around these. Included by the two generators only.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "executors/fuser/fusion.h"
#include "ir/printer.h"

namespace keraunos::fuser::emit {

using ops::PrimId;

inline const char* kind_name(Node::Kind k) {
  switch (k) {
    case Node::Kind::Input:
      return "input";
    case Node::Kind::Scalar:
      return "scalar";
    case Node::Kind::Literal:
      return "literal";
    case Node::Kind::Elementwise:
      return "elementwise";
    case Node::Kind::Convert:
      return "convert";
    case Node::Kind::Broadcast:
      return "broadcast";
    case Node::Kind::Reshape:
      return "reshape";
    case Node::Kind::Transpose:
      return "transpose";
    case Node::Kind::Squeeze:
      return "squeeze";
    case Node::Kind::Slice:
      return "slice";
    case Node::Kind::Flip:
      return "flip";
    case Node::Kind::Reduce:
      return "reduce";
    case Node::Kind::Gather:
      return "gather";
    case Node::Kind::Cat:
      return "cat";
    case Node::Kind::Pad:
      return "pad";
  }
  return "?";
}

// A node's operation for listings: its prim or reduction, else its kind.
inline std::string op_name(const Node& n) {
  if (n.kind == Node::Kind::Elementwise || n.kind == Node::Kind::Gather) return std::string(ops::prim_name(n.prim));
  if (n.kind == Node::Kind::Reduce) return std::string(reduction_name(n.red));
  return kind_name(n.kind);
}

inline std::string ctype(DType t) {
  switch (t) {
    case DType::Bool:
      return "bool";
    case DType::UInt8:
      return "uint8_t";
    case DType::Int8:
      return "int8_t";
    case DType::Int16:
      return "int16_t";
    case DType::Int32:
      return "int32_t";
    case DType::Int64:
      return "int64_t";
    case DType::Float64:
      return "double";
    default:
      return "float";  // float32, and float16/bfloat16 computed in float32
  }
}

inline std::string storage_type(DType t) {
  if (t == DType::Float16 || t == DType::BFloat16) return "uint16_t";
  if (t == DType::Float32) return "float";
  return ctype(t);
}

inline std::string literal(double v, bool is_int, DType t) {
  std::string T = ctype(t);
  if (std::isnan(v)) return "((" + T + ")NAN)";
  if (std::isinf(v)) return v > 0 ? "((" + T + ")INFINITY)" : "((" + T + ")-INFINITY)";
  if (is_int) return "((" + T + ")" + std::to_string(static_cast<long long>(v)) + "LL)";
  return "((" + T + ")" + print_float(v) + ")";
}

class Emitter {
 public:
  Emitter(const Fusion& r, const Schedule& s, ContiguityMask contig) : r_(r), s_(s), contig_(contig) {}

 protected:
  const Node* input_node(int k) const {
    for (const auto& n : r_.nodes)
      if (n.kind == Node::Kind::Input && n.get<InputRef>().position == k) return &n;
    return nullptr;
  }

  std::string sz(int k) const {
    const Dim& d = r_.sizes[static_cast<size_t>(k)];
    return d.is_constant() && d.size == 1 ? "1" : "s" + std::to_string(k);
  }
  bool is_one(int k) const { return r_.sizes[static_cast<size_t>(k)].is_constant() && r_.sizes[static_cast<size_t>(k)].size == 1; }

  std::string product(const std::vector<int>& dims) const {
    std::string p = "(int64_t)1";
    for (int d : dims) p += " * " + sz(d);
    return p;
  }

  // Linear (row-major) offset of `idx` in a tensor of dims `dims`.
  std::string linear(const std::vector<std::string>& idx, const std::vector<int>& dims) const {
    if (idx.empty()) return "0";
    std::string e = idx[0];
    for (size_t d = 1; d < idx.size(); ++d) e = "(" + e + ") * " + sz(dims[d]) + " + " + idx[d];
    return e;
  }

  // -- scopes of emitted statements, with memoized values --------------------------------------
  // Scope 0 is the kernel's top level; each loop level pushes one and names the variables it
  // defines. A statement goes to the outermost scope that defines every name it uses, so work that
  // does not depend on the inner loop variable is done once per row (or once per call), and a value
  // memoized there is shared by every later loop over the same row.
  struct Scope {
    std::ostringstream code;
    std::map<std::string, std::string> memo;
    std::set<std::string> names;
    std::string indent;
  };
  void push(std::string indent) {
    scopes_.emplace_back();
    scopes_.back().indent = std::move(indent);
  }
  std::string pop() {
    std::string c = scopes_.back().code.str();
    scopes_.pop_back();
    return c;
  }
  // A variable defined by the innermost scope (a loop variable, an accumulator).
  const std::string& bind(const std::string& name) {
    scopes_.back().names.insert(name);
    return name;
  }
  std::ostringstream& out() { return scopes_.back().code; }
  const std::string& indent() const { return scopes_.back().indent; }
  std::string fresh(const char* p) { return std::string(p) + std::to_string(counter_++); }

  // The innermost scope defining a name used in `expr` (0 when none does).
  size_t level_of(const std::string& expr) const {
    size_t level = 0;
    for (size_t i = 0; i < expr.size();) {
      char c = expr[i];
      if (std::isdigit(static_cast<unsigned char>(c))) {  // a number, with its suffixes and exponent
        while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '.' || expr[i] == '_')) ++i;
        continue;
      }
      if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_') {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
      std::string name = expr.substr(i, j - i);
      for (size_t k = scopes_.size(); k-- > level + 1;)
        if (scopes_[k].names.count(name)) {
          level = k;
          break;
        }
      i = j;
    }
    return level;
  }

  std::string let(const std::string& type, const std::string& expr) {
    const size_t level = level_of(expr);
    Scope& sc = scopes_[level];
    std::string v = fresh("v");
    // In a generic row-loop body, a float value of the loop is an F: a vector of lanes or a float.
    const std::string& t = generic_ && level == lane_scope_ && type == "float"  ? kGenericType
                           : generic_ && level == lane_scope_ && type == "bool" ? kGenericMask
                                                                                : type;
    sc.code << sc.indent << "const " << t << " " << v << " = " << expr << ";\n";
    sc.names.insert(v);
    return v;
  }
  // The value of node `ni` at index `idx` (one expression per dim of the node's shape).
  std::string eval(int ni, const std::vector<std::string>& idx) {
    std::string key = std::to_string(ni);
    for (const auto& i : idx) key += "|" + i;
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
      if (auto m = it->memo.find(key); m != it->memo.end()) return m->second;
    std::string v;
    auto buf = buffers_.find(ni);
    if (buf != buffers_.end() && idx == full_idx_ && loop_ > buf->second.first_loop && buf->second.written) {
      v = let(ctype(r_.nodes[static_cast<size_t>(ni)].dtype),
              generic_ && lane_scope_ != kNoLanes ? "kr_ld<F>(" + buf->second.name + " + q)" : buf->second.name + "[q]");
    } else {
      v = compute(ni, idx);
      if (buf != buffers_.end() && idx == full_idx_ && loop_ == buf->second.first_loop) {
        if (generic_ && lane_scope_ != kNoLanes)
          out() << indent() << "kr_st(" << buf->second.name << " + q, " << v << ");\n";
        else
          out() << indent() << buf->second.name << "[q] = " << v << ";\n";
        buf->second.written = true;  // only at the row's own index (not at a flipped or gathered one)
      }
    }
    scopes_[level_of(v)].memo[key] = v;
    return v;
  }

  std::string compute(int ni, const std::vector<std::string>& idx) {
    const Node& n = r_.nodes[static_cast<size_t>(ni)];
    const std::string T = ctype(n.dtype);
    switch (n.kind) {
      case Node::Kind::Input: {
        const int input = n.get<InputRef>().position;
        std::string offset;
        if (auto known = linear_of_.find(idx); (contig_ >> input & 1) && n.dims == s_.iter_dims && known != linear_of_.end()) {
          offset = known->second;  // the loop's own linear position: no index arithmetic
        } else if (contig_ >> input & 1) {
          offset = linear(idx, n.dims);
        } else {
          offset = "0";
          for (size_t d = 0; d < idx.size(); ++d) offset += " + (" + idx[d] + ") * st" + std::to_string(input) + "_" + std::to_string(d);
        }
        std::string ld = "in" + std::to_string(input) + "[" + offset + "]";
        if (n.dtype == DType::BFloat16) ld = "kr_bf16_to_f(" + ld + ")";
        if (n.dtype == DType::Float16) ld = "kr_f16_to_f(" + ld + ")";
        if (generic_ && level_of(offset) == lane_scope_) {  // unit stride in q (checked): a lane-wide load
          const char* fn = n.dtype == DType::BFloat16  ? "kr_ld_bf16<F>("
                           : n.dtype == DType::Float16 ? "kr_ld_f16<F>("
                           : n.dtype == DType::Bool    ? "kr_ld_mask<F>("
                                                       : "kr_ld<F>(";
          ld = std::string(fn) + "in" + std::to_string(input) + " + (" + offset + "))";
          if (loop_ == prefetch_loop_ && idx == full_idx_ && n.dims == s_.iter_dims)  // the next row, a row length on
            out() << indent() << "kr_pf<F>(in" << input << " + (" << offset << "), I);\n";
        }
        return let(T, ld);
      }
      case Node::Kind::Scalar:
        return let(T, "(" + T + ")SC[" + std::to_string(n.get<InputRef>().position) + "]");
      case Node::Kind::Literal:
        return literal(n.get<LiteralValue>().value, n.get<LiteralValue>().is_int, n.dtype);
      case Node::Kind::Elementwise: {
        // A number argument (a Scalar node, double) takes the type of the op's tensor operands, as
        // torch's weak numbers do: `x * s` on float32 multiplies by (float)s.
        std::string like;
        for (int i : n.in) {
          const Node& m = r_.nodes[static_cast<size_t>(i)];
          if (m.kind != Node::Kind::Scalar && m.kind != Node::Kind::Literal) {
            like = ctype(m.dtype);
            break;
          }
        }
        std::vector<std::string> a;
        for (int i : n.in) {
          std::string v = eval(i, idx);
          const Node& m = r_.nodes[static_cast<size_t>(i)];
          if (m.kind == Node::Kind::Scalar && !like.empty() && ctype(m.dtype) != like) v = let(like, "(" + like + ")" + v);
          a.push_back(v);
        }
        return let(T, op_expr(n, a));
      }
      case Node::Kind::Convert: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        std::string x = eval(n.in[0], idx);
        if (n.dtype == DType::Bool) return let(T, "(" + x + " != 0)");
        std::string c = "(" + T + ")(" + x + ")";
        if (n.dtype == DType::BFloat16) c = "kr_round_bf16((float)(" + x + "))";
        if (n.dtype == DType::Float16) c = "kr_round_f16((float)(" + x + "))";
        if (generic_ && T == "float" && src.dtype == DType::Bool)  // 0 or 1, exact in every float type
          return let(T, level_of(x) == lane_scope_ ? "(" + x + " ? F{} + 1.0f : F{})" : "(" + x + " ? 1.0f : 0.0f)");
        if (generic_ && T == "float" && is_floating(src.dtype) && src.dtype != DType::Float64) {  // float to float: no cast
          c = "(" + x + ")";
          if (n.dtype == DType::BFloat16) c = "kr_round_bf16(" + x + ")";
          if (n.dtype == DType::Float16) c = "kr_round_f16(" + x + ")";
        }
        (void)src;
        return let(T, c);
      }
      case Node::Kind::Broadcast: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        std::vector<std::string> in_idx;
        const auto& out_dim = n.get<BroadcastMap>().out_dim;
        for (size_t i = 0; i < src.dims.size(); ++i) in_idx.push_back(is_one(src.dims[i]) ? "0" : idx[static_cast<size_t>(out_dim[i])]);
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Transpose: {
        std::vector<std::string> in_idx(idx.size());
        const auto& perm = n.get<Permutation>().perm;
        for (size_t j = 0; j < idx.size(); ++j) in_idx[static_cast<size_t>(perm[j])] = idx[j];
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Squeeze: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        std::vector<std::string> in_idx;
        const auto& squeezed = n.get<DimList>().dims;
        size_t j = 0;
        for (size_t d = 0; d < src.dims.size(); ++d) {
          if (std::find(squeezed.begin(), squeezed.end(), static_cast<int64_t>(d)) != squeezed.end())
            in_idx.push_back("0");
          else
            in_idx.push_back(idx[j++]);
        }
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Slice: {
        const SliceWindow& w = n.get<SliceWindow>();
        std::vector<std::string> in_idx;
        for (size_t d = 0; d < idx.size(); ++d)
          in_idx.push_back("(" + std::to_string(w.start[d]) + " + (" + idx[d] + ") * " + std::to_string(w.stride[d]) + ")");
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Flip: {
        std::vector<std::string> in_idx = idx;
        for (int64_t d : n.get<DimList>().dims)
          in_idx[static_cast<size_t>(d)] = "(" + sz(n.dims[static_cast<size_t>(d)]) + " - 1 - (" + idx[static_cast<size_t>(d)] + "))";
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Reshape: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        std::string lin = let("int64_t", linear(idx, n.dims));
        std::vector<std::string> in_idx(src.dims.size());
        std::string rest = lin;
        for (size_t j = src.dims.size(); j-- > 0;) {
          if (j == 0) {
            in_idx[j] = rest;
            break;
          }
          in_idx[j] = let("int64_t", rest + " % " + sz(src.dims[j]));
          rest = let("int64_t", rest + " / " + sz(src.dims[j]));
        }
        return eval(n.in[0], in_idx);
      }
      case Node::Kind::Cat: {
        // Every input is read at its clamped index and the one the index falls in is selected:
        // branch-free, so the loop still vectorizes.
        const size_t dim = static_cast<size_t>(n.get<Axis>().dim);
        std::vector<std::string> offsets{"(int64_t)0"}, values;
        for (int in : n.in) offsets.push_back(let("int64_t", offsets.back() + " + " + sz(r_.nodes[static_cast<size_t>(in)].dims[dim])));
        for (size_t k = 0; k < n.in.size(); ++k) {
          const Node& src = r_.nodes[static_cast<size_t>(n.in[k])];
          std::string j = let("int64_t", idx[dim] + " - " + offsets[k]);
          std::string c =
              let("int64_t", j + " < 0 ? (int64_t)0 : " + j + " > " + sz(src.dims[dim]) + " - 1 ? " + sz(src.dims[dim]) + " - 1 : " + j);
          std::vector<std::string> in_idx = idx;
          in_idx[dim] = c;
          values.push_back(eval(n.in[k], in_idx));
        }
        std::string v = values.back();
        for (size_t k = n.in.size() - 1; k-- > 0;) v = let(T, "(" + idx[dim] + " < " + offsets[k + 1] + ") ? " + values[k] + " : " + v);
        return v;
      }
      case Node::Kind::Pad: {
        // Output index i maps to (i - low) / (interior + 1) when that divides and is in range; the
        // element is padding otherwise (the source is read at a clamped index either way).
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        std::string valid = "true";
        const PadWidths& pad = n.get<PadWidths>();
        std::vector<std::string> in_idx;
        for (size_t d = 0; d < idx.size(); ++d) {
          int64_t lo = pad.low[d], interior = pad.interior[d];
          std::string j = let("int64_t", idx[d] + " - " + std::to_string(lo));
          if (interior > 0) {
            valid = let("bool", valid + " && " + j + " % " + std::to_string(interior + 1) + " == 0");
            j = let("int64_t", j + " / " + std::to_string(interior + 1));
          }
          std::string size = sz(src.dims[d]);
          valid = let("bool", valid + " && " + j + " >= 0 && " + j + " < " + size);
          in_idx.push_back(let("int64_t", j + " < 0 ? (int64_t)0 : " + j + " > " + size + " - 1 ? " + size + " - 1 : " + j));
        }
        std::string x = eval(n.in[0], in_idx), fill = eval(n.in[1], {});
        return let(T, valid + " ? " + x + " : (" + T + ")" + fill);
      }
      case Node::Kind::Gather: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        const Node& index = r_.nodes[static_cast<size_t>(n.in[1])];
        const size_t dim = static_cast<size_t>(n.get<Axis>().dim);
        std::vector<std::string> index_idx, src_idx;
        for (size_t d = 0; d < idx.size(); ++d) index_idx.push_back(is_one(index.dims[d]) ? "0" : idx[d]);
        std::string g = let("int64_t", "(int64_t)" + eval(n.in[1], index_idx));
        // An index out of range sets the kernel's error flag (the caller raises) and reads element 0.
        std::string bad = let("bool", g + " < 0 || " + g + " >= " + sz(src.dims[dim]));
        scopes_[level_of(bad)].code << scopes_[level_of(bad)].indent << "if (" << bad << ") kr_flag(kr_err, 1);\n";
        std::string safe = let("int64_t", bad + " ? (int64_t)0 : " + g);
        for (size_t d = 0; d < idx.size(); ++d) src_idx.push_back(d == dim ? safe : is_one(src.dims[d]) ? "0" : idx[d]);
        return eval(n.in[0], src_idx);
      }
      case Node::Kind::Reduce: {
        if (s_.kind == Schedule::Kind::OuterReduction)  // combined values live in an array over the kept dims
          return let(T, "red" + std::to_string(ni) + "[" + linear(idx, n.dims) + "]");
        auto it = acc_.find(ni);
        KERAUNOS_CHECK(it != acc_.end(), "fuser: a reduction is used before its stage (scheduler bug)");
        return it->second;
      }
    }
    return "0";
  }

  // A libm function with vector variants in glibc's libmvec (declared in the preludes).
  static bool vector_math(const Node& n) { return n.kind == Node::Kind::Elementwise && ops::elementwise_info(n.prim).has(ops::kLibm); }

  // An op table row's C++ template: {0} {1} {2} the operands, {T} the type, {f} the float suffix.
  static std::string fill_template(std::string_view tmpl, const std::vector<std::string>& a, const std::string& T, const char* f) {
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      const size_t close = tmpl[i] == '{' ? tmpl.find('}', i) : std::string_view::npos;
      if (close == std::string_view::npos) {
        out += tmpl[i];
        continue;
      }
      const std::string_view key = tmpl.substr(i + 1, close - i - 1);
      if (key == "T")
        out += T;
      else if (key == "f")
        out += f;
      else if (key.size() == 1 && key[0] >= '0' && key[0] < '0' + static_cast<char>(a.size()))
        out += "(" + a[static_cast<size_t>(key[0] - '0')] + ")";
      else
        throw Error(str("fuser: the op table template `", tmpl, "` has an unknown placeholder {", key, "}"));
      i = close;
    }
    return "(" + out + ")";
  }

  std::string op_expr(const Node& n, const std::vector<std::string>& a) {
    const PrimId op = n.prim;
    const std::string name(ops::prim_name(op));
    const std::string T = ctype(n.dtype);
    bool fl = is_floating(n.dtype);
    auto f1 = [&](const char* fn) { return std::string(fn) + "(" + a[0] + ")"; };
    if (const std::string_view tmpl = ops::elementwise_info(op).cpp; !tmpl.empty())
      return fill_template(tmpl, a, T, n.dtype == DType::Float64 ? "" : "f");
    if (generic_ && T == "float") {  // expressions valid for a float and for a vector of floats
      if (op == PrimId::add) return "(" + a[0] + " + " + a[1] + ")";
      if (op == PrimId::sub) return "(" + a[0] + " - " + a[1] + ")";
      if (op == PrimId::mul) return "(" + a[0] + " * " + a[1] + ")";
      if (op == PrimId::sqrt) return "kr_sqrt(" + a[0] + ")";
      if (op == PrimId::rsqrt) return "1.0f / kr_sqrt(" + a[0] + ")";
      if (op == PrimId::reciprocal) return "1.0f / " + a[0];
      if (op == PrimId::abs) return "kr_abs(" + a[0] + ")";
      if (op != PrimId::exp && vector_math(n)) return "kr_" + name + "(" + a[0] + ")";
    }
    if (generic_ && n.dtype == DType::Bool) {  // masks: nonzero is true (a lane's -1, a row's bool 1)
      if (op == PrimId::logical_not || op == PrimId::bitwise_not) return "(" + a[0] + " == 0)";
      if (op == PrimId::logical_and || op == PrimId::bitwise_and) return "(" + a[0] + " & " + a[1] + ")";
      if (op == PrimId::logical_or || op == PrimId::bitwise_or) return "(" + a[0] + " | " + a[1] + ")";
    }
    if (op == PrimId::abs)
      return fl ? f1("std::fabs") : (n.dtype == DType::Bool ? a[0] : "(" + a[0] + " < 0 ? -" + a[0] + " : " + a[0] + ")");
    if (op == PrimId::neg) return "-" + a[0];
    if (op == PrimId::sqrt || vector_math(n)) {
      if (op == PrimId::exp && n.dtype != DType::Float64) return "kr_exp(" + a[0] + ")";
      return (n.dtype == DType::Float64 ? name : name + "f") + "(" + a[0] + ")";  // the C names have vector variants
    }
    if (op == PrimId::rsqrt) return "(" + T + ")1 / std::sqrt(" + a[0] + ")";
    if (op == PrimId::reciprocal) return "(" + T + ")1 / " + a[0];
    if (op == PrimId::sign)
      return fl ? "(" + a[0] + " > 0 ? (" + T + ")1 : (" + a[0] + " < 0 ? (" + T + ")-1 : " + a[0] + "))"
                : "(" + T + ")((" + a[0] + " > 0) - (" + a[0] + " < 0))";
    if (op == PrimId::floor || op == PrimId::ceil || op == PrimId::trunc) return fl ? "std::" + name + "(" + a[0] + ")" : a[0];
    if (op == PrimId::round) return fl ? "std::nearbyint(" + a[0] + ")" : a[0];
    if (op == PrimId::isfinite) return fl ? "std::isfinite(" + a[0] + ")" : "true";
    if (op == PrimId::isnan) return fl ? "std::isnan(" + a[0] + ")" : "false";
    if (op == PrimId::isinf) return fl ? "std::isinf(" + a[0] + ")" : "false";
    if (op == PrimId::logical_not) return "!(" + a[0] + ")";
    if (op == PrimId::bitwise_not) return n.dtype == DType::Bool ? "!(" + a[0] + ")" : "(" + T + ")~" + a[0];
    if (op == PrimId::add) return n.dtype == DType::Bool ? "(" + a[0] + " || " + a[1] + ")" : "(" + T + ")(" + a[0] + " + " + a[1] + ")";
    if (op == PrimId::sub) return "(" + T + ")(" + a[0] + " - " + a[1] + ")";
    if (op == PrimId::mul) return n.dtype == DType::Bool ? "(" + a[0] + " && " + a[1] + ")" : "(" + T + ")(" + a[0] + " * " + a[1] + ")";
    if (op == PrimId::div) {
      // In a row loop, dividing by a value of the row (softmax's sum) becomes a multiplication by its
      // reciprocal, computed once per row, as eager's softmax does; pointwise division stays exact.
      bool row_invariant = level_of(a[1]) + 1 < scopes_.size() && level_of(a[0]) + 1 == scopes_.size();
      if (fl && s_.kind != Schedule::Kind::Pointwise && row_invariant) return a[0] + " * " + let(T, "(" + T + ")1 / " + a[1]);
      return a[0] + " / " + a[1];
    }
    if (op == PrimId::pow) return std::string(n.dtype == DType::Float64 ? "pow(" : "powf(") + a[0] + ", " + a[1] + ")";
    if (op == PrimId::fmod) return "std::fmod(" + a[0] + ", " + a[1] + ")";
    if (op == PrimId::remainder) {
      std::string m = let(T, "std::fmod(" + a[0] + ", " + a[1] + ")");
      return "((" + m + " != 0 && ((" + m + " < 0) != (" + a[1] + " < 0))) ? " + m + " + " + a[1] + " : " + m + ")";
    }
    if (op == PrimId::maximum || op == PrimId::minimum) {
      const char* cmp = op == PrimId::maximum ? " > " : " < ";
      if (!fl) return "(" + a[0] + cmp + a[1] + " ? " + a[0] + " : " + a[1] + ")";
      // NaN propagates, as in torch.maximum/minimum. Against a literal that is not NaN (a clamp's
      // bound) `c > x ? c : x` does it in one vmaxps, which returns x when either is NaN.
      for (int k = 0; k < 2; ++k) {
        const Node& c = r_.nodes[static_cast<size_t>(n.in[static_cast<size_t>(k)])];
        if (c.kind == Node::Kind::Literal && !std::isnan(c.get<LiteralValue>().value))
          return "(" + a[static_cast<size_t>(k)] + cmp + a[static_cast<size_t>(1 - k)] + " ? " + a[static_cast<size_t>(k)] + " : " +
                 a[static_cast<size_t>(1 - k)] + ")";
      }
      // `|` rather than `||`: the same text serves a float and a vector of floats.
      return "(((" + a[0] + " != " + a[0] + ") | (" + a[0] + cmp + a[1] + ")) ? " + a[0] + " : " + a[1] + ")";
    }
    if (op == PrimId::eq) return "(" + a[0] + " == " + a[1] + ")";
    if (op == PrimId::ne) return "(" + a[0] + " != " + a[1] + ")";
    if (op == PrimId::lt) return "(" + a[0] + " < " + a[1] + ")";
    if (op == PrimId::le) return "(" + a[0] + " <= " + a[1] + ")";
    if (op == PrimId::gt) return "(" + a[0] + " > " + a[1] + ")";
    if (op == PrimId::ge) return "(" + a[0] + " >= " + a[1] + ")";
    if (op == PrimId::logical_and) return "((bool)" + a[0] + " && (bool)" + a[1] + ")";
    if (op == PrimId::logical_or) return "((bool)" + a[0] + " || (bool)" + a[1] + ")";
    if (op == PrimId::logical_xor) return "((bool)" + a[0] + " != (bool)" + a[1] + ")";
    if (op == PrimId::bitwise_and) return "(" + T + ")(" + a[0] + " & " + a[1] + ")";
    if (op == PrimId::bitwise_or) return "(" + T + ")(" + a[0] + " | " + a[1] + ")";
    if (op == PrimId::bitwise_xor) return "(" + T + ")(" + a[0] + " ^ " + a[1] + ")";
    if (op == PrimId::atan2) return std::string(n.dtype == DType::Float64 ? "atan2(" : "atan2f(") + a[0] + ", " + a[1] + ")";
    if (op == PrimId::copysign) return "std::copysign(" + a[0] + ", " + a[1] + ")";
    if (op == PrimId::where) {
      // On lanes, both branches must be lane vectors of one type: a branch computed outside the lane
      // loop (a scalar, a 0-d or row value) is spread over the lanes.
      const bool on_lanes = generic_ && lane_scope_ != kNoLanes && T == "float" &&
                            (level_of(a[0]) == lane_scope_ || level_of(a[1]) == lane_scope_ || level_of(a[2]) == lane_scope_);
      if (on_lanes) {
        auto lanes = [&](const std::string& v) { return level_of(v) == lane_scope_ ? v : "(F{} + " + v + ")"; };
        return "(" + a[0] + " ? " + lanes(a[1]) + " : " + lanes(a[2]) + ")";
      }
      return "(" + a[0] + " ? " + a[1] + " : " + a[2] + ")";
    }
    if (op == PrimId::lerp)  // torch's formula: exact at both ends
      return "(std::fabs(" + a[2] + ") < (" + T + ")0.5 ? " + a[0] + " + " + a[2] + " * (" + a[1] + " - " + a[0] + ") : " + a[1] + " - (" +
             a[1] + " - " + a[0] + ") * ((" + T + ")1 - " + a[2] + "))";
    throw Error("fuser: no code for prims." + name);
  }

  // Stores output `out_index` at `offset`, its value taken at `idx`. An output that is a conversion
  // to float16/bfloat16 stores its operand rounded once, not rounded and then rounded again.
  void store(int out_index, const std::string& offset, const std::vector<std::string>& idx) {
    int ni = r_.outputs[static_cast<size_t>(out_index)];
    const Node& n = r_.nodes[static_cast<size_t>(ni)];
    const bool half = n.dtype == DType::BFloat16 || n.dtype == DType::Float16;
    std::string value;
    if (half && n.kind == Node::Kind::Convert && is_floating(r_.nodes[static_cast<size_t>(n.in[0])].dtype) &&
        r_.nodes[static_cast<size_t>(n.in[0])].dtype != DType::Float64)
      value = (generic_ ? "" : "(float)") + eval(n.in[0], idx);
    else
      value = eval(ni, idx);
    std::string p = "out" + std::to_string(out_index) + "[" + offset + "]";
    if (generic_ && level_of(offset) == lane_scope_) {  // a lane-wide store
      // A value computed outside the lane loop (a row's sum broadcast to a full-size output) is
      // spread over the lanes: the float overload would store one element of the vector's width.
      if (level_of(value) != lane_scope_) value = "(F{} + " + value + ")";
      const char* fn = n.dtype == DType::BFloat16 ? "kr_st_bf16" : n.dtype == DType::Float16 ? "kr_st_f16" : "kr_st";
      out() << indent() << fn << (nt_stores_ ? "_nt(" : "(") << "out" << out_index << " + (" << offset << "), " << value
            << (nt_stores_ ? ", kr_nt);\n" : ");\n");
      return;
    }
    if (n.dtype == DType::BFloat16)
      value = "kr_f_to_bf16(" + value + ")";
    else if (n.dtype == DType::Float16)
      value = "kr_f_to_f16(" + value + ")";
    out() << indent() << p << " = " << value << ";\n";
  }

  // Index variables of the innermost scope for a linear position `lin` over `dims`: `<prefix><k>`.
  std::vector<std::string> delinearize(const std::string& lin, const std::vector<int>& dims, const std::string& prefix) {
    std::vector<std::string> idx(dims.size());
    std::string rest = lin;
    for (size_t j = dims.size(); j-- > 0;) {
      idx[j] = bind(prefix + std::to_string(j));
      if (j == 0) {
        out() << indent() << "const int64_t " << idx[j] << " = " << rest << ";\n";
      } else {
        out() << indent() << "const int64_t " << idx[j] << " = " << rest << " % " << sz(dims[j]) << ";\n";
        std::string next = bind(prefix + "r" + std::to_string(j));
        out() << indent() << "const int64_t " << next << " = " << rest << " / " << sz(dims[j]) << ";\n";
        rest = next;
      }
    }
    return idx;
  }

  // What a row schedule (inner reductions and normalizations) iterates: the kept and the reduced
  // dims (sizes indices), the reductions and the last stage among them, and the outputs of the
  // full (unreduced) shape.
  struct RowPlan {
    std::vector<int> kept_dims, red_dims, reduces, full_outputs;
    int max_stage = 0;
  };
  RowPlan row_plan() {
    RowPlan p;
    for (int k : s_.kept) p.kept_dims.push_back(s_.iter_dims[static_cast<size_t>(k)]);
    for (int k : s_.reduced) p.red_dims.push_back(s_.iter_dims[static_cast<size_t>(k)]);
    for (size_t i = 0; i < r_.nodes.size(); ++i)
      if (r_.nodes[i].kind == Node::Kind::Reduce) {
        p.reduces.push_back(static_cast<int>(i));
        p.max_stage = std::max(p.max_stage, stage_of(static_cast<int>(i)));
      }
    const std::vector<int>& red_shape = r_.nodes[static_cast<size_t>(p.reduces[0])].dims;
    for (int o : r_.outputs)
      if (r_.nodes[static_cast<size_t>(o)].dims == s_.iter_dims && r_.nodes[static_cast<size_t>(o)].dims != red_shape)
        p.full_outputs.push_back(o);
    return p;
  }

  int stage_of(int ni) {
    auto it = stage_.find(ni);
    if (it != stage_.end()) return it->second;
    const Node& n = r_.nodes[static_cast<size_t>(ni)];
    int s = 0;
    for (int i : n.in) s = std::max(s, stage_of(i));
    if (n.kind == Node::Kind::Reduce) s += 1;
    stage_[ni] = s;
    return s;
  }

  // Whether a row's max/min keeps a NaN flag beside it. It need not when a NaN in its input reaches
  // every output anyway: softmax's max only shifts values whose exponentials a row sum adds up, so a
  // NaN in the row makes the sum NaN, and every output is divided by that sum. Precisely: a sum over
  // the same dims whose input is made from the max's input by NaN-propagating elementwise ops at the
  // same index, and from which a NaN-propagating path leads to every output.
  bool nan_flag(int ri) const {
    const Node& r = r_.nodes[static_cast<size_t>(ri)];
    if ((r.red != Reduction::Amax && r.red != Reduction::Amin) || !is_floating(r.dtype)) return false;
    auto passes_nan = [&](const Node& n) {
      return (n.kind == Node::Kind::Elementwise && ops::elementwise_info(n.prim).has(ops::kNanProp)) ||
             (n.kind == Node::Kind::Convert && is_floating(n.dtype) && is_floating(r_.nodes[static_cast<size_t>(n.in[0])].dtype));
    };
    // Does `from` reach `to` through NaN-propagating nodes (index maps allowed when `maps`)?
    std::set<int> failed;  // nodes known not to reach `to` in the current query
    std::function<bool(int, int, bool)> reaches = [&](int from, int to, bool maps) -> bool {
      if (from == to) return true;
      if (failed.count(from)) return false;
      const Node& n = r_.nodes[static_cast<size_t>(from)];
      const bool map = n.kind == Node::Kind::Broadcast || n.kind == Node::Kind::Reshape || n.kind == Node::Kind::Squeeze ||
                       n.kind == Node::Kind::Transpose;
      if (!passes_nan(n) && !(maps && map)) return false;
      for (int i : n.in)
        if (reaches(i, to, maps)) return true;
      failed.insert(from);
      return false;
    };
    for (size_t si = 0; si < r_.nodes.size(); ++si) {
      const Node& sum = r_.nodes[si];
      if (sum.kind != Node::Kind::Reduce || sum.red != Reduction::Sum || sum.dims != r.dims ||
          sum.get<ReduceDims>().dims != r.get<ReduceDims>().dims)
        continue;
      failed.clear();
      if (!reaches(sum.in[0], r.in[0], false)) continue;
      failed.clear();
      bool all = true;
      for (int o : r_.outputs) all = all && reaches(o, static_cast<int>(si), true);
      if (all) return false;
    }
    return true;
  }

  // Whether a value can live on vector lanes, read with the loop's lane index (the row loop's q, the
  // pointwise loop's j) as its last index: a float (f32/bf16/f16) or a mask, made by the ops below
  // from unit-stride inputs (the contiguous variant), broadcasts that keep the lane index as the
  // source's last dim (or drop it: a value constant along the lanes), literals, numbers and row
  // values. Index maps and integers keep scalar code: their index values are per lane. Masks are
  // nonzero-is-true (a lane's -1, a row's bool 1), so xor and comparisons of bools stay scalar.
  static bool float_like(DType t) { return t == DType::Float32 || t == DType::BFloat16 || t == DType::Float16; }

  // The index of a reduced-shape output (the kept dims, with size-1 dims in other places when the
  // reduction keeps its dims) from the kept dims' index variables.
  std::vector<std::string> reduced_index(int node, const std::vector<int>& kept_dims, const std::vector<std::string>& kept_idx) const {
    std::vector<std::string> wide;
    for (size_t k = 0; k < kept_dims.size(); ++k)
      if (!is_one(kept_dims[k])) wide.push_back(kept_idx[k]);
    std::vector<std::string> idx;
    size_t next = 0;
    for (int d : r_.nodes[static_cast<size_t>(node)].dims) idx.push_back(is_one(d) ? "0" : wide.at(next++));
    return idx;
  }
  // A reduction's starting value, in accumulator type AT.
  static std::string identity(const Node& n, const std::string& AT) {
    return n.red == Reduction::Prod ? "1" : n.red == Reduction::Amax ? lowest(AT) : n.red == Reduction::Amin ? highest(AT) : "0";
  }
  // A reduction's value from its accumulated `acc` over I elements; an empty reduction has no mean
  // or variance (NaN, as torch gives).
  static std::string finished(const Node& n, const std::string& acc) {
    if (n.red == Reduction::Mean) return "(I == 0 ? (double)NAN : " + acc + " / (double)I)";
    if (n.red == Reduction::Var) return "(I == 0 ? (double)NAN : " + acc + " / (double)(" + dof(n) + "))";
    return acc;
  }
  // The divisor of a variance: torch's max(0, N - correction).
  static std::string dof(const Node& n) {
    std::string c = std::to_string(n.get<ReduceDims>().correction);
    return "I - " + c + " > 0 ? I - " + c + " : (int64_t)0";
  }
  static bool sum_like(const Node& n) {
    return n.red == Reduction::Sum || n.red == Reduction::Mean || n.red == Reduction::Var || n.red == Reduction::Prod;
  }
  static std::string acc_type(const Node& n) {
    KERAUNOS_CHECK(is_floating(n.dtype) || n.red == Reduction::Amax || n.red == Reduction::Amin, "fuser: an integer ",
                   reduction_name(n.red), " reached the code generator (the claim check leaves those to ATen)");
    if (n.dtype == DType::Float64) return "double";
    if (n.red == Reduction::Amax || n.red == Reduction::Amin) return n.dtype == DType::Bool ? "int" : ctype(n.dtype);
    return "float";
  }
  static std::string lowest(const std::string& T) {
    if (T == "float" || T == "double") return "-INFINITY";
    return "std::numeric_limits<" + T + ">::lowest()";
  }
  static std::string highest(const std::string& T) {
    if (T == "float" || T == "double") return "INFINITY";
    return "std::numeric_limits<" + T + ">::max()";
  }

  const Fusion& r_;
  const Schedule& s_;
  ContiguityMask contig_;
  std::vector<Scope> scopes_;
  int counter_ = 0;
  std::map<int, std::string> acc_;
  std::map<int, int> stage_;
  struct RowBuffer {
    std::string name;
    int first_loop;        // the loop that writes it; later loops read it
    bool written = false;  // whether that loop wrote it (at the row's index)
  };
  std::map<int, RowBuffer> buffers_;
  // Explicit vectors: whether this kernel's row loops are generic bodies (instantiated for kr_vf
  // lanes and for a float tail), and which scope is the body being generated (kNoLanes: none).
  static constexpr size_t kNoLanes = ~size_t{0};
  inline static const std::string kGenericType = "F";
  inline static const std::string kGenericMask = "M";  // a comparison's result: bool, or a vector of int masks
  bool generic_ = false;
  bool used_vectors_ = false;
  size_t lane_scope_ = kNoLanes;
  int prefetch_loop_ = -1;  // the row loop that prefetches the next row's inputs (-1: none)
  bool nt_stores_ = false;  // lane-wide stores of outputs go through kr_st*_nt(..., kr_nt)
  std::vector<std::string> full_idx_;
  // Index tuples whose row-major position over the iteration shape a loop already holds in a
  // variable (the CUDA pointwise loop's `lin`): a contiguous input of that shape reads at it.
  std::map<std::vector<std::string>, std::string> linear_of_;
  int loop_ = 0;
};

}  // namespace keraunos::fuser::emit

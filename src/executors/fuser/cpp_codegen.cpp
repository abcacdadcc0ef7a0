// The C++ code generator: OpenMP over the outer iteration space, a `#pragma omp simd` inner loop,
// float16/bfloat16 computed in float32 and rounded once on store (or at an explicit conversion).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "executors/fuser/fusion.h"
#include "ir/printer.h"

namespace keraunos::fuser {
namespace {

using ops::PrimId;

const char* kPrelude =
#include "executors/fuser/prelude/cpu.inc"
    ;

const char* kVectorPrelude =
#include "executors/fuser/prelude/cpu_vector.inc"
    ;

const char* kCudaPrelude =
#include "executors/fuser/prelude/cuda.inc"
    ;

// `macro(name)` for every libm prim of the op table (exp too, unless `but_exp`): the declarations of
// their vector variants.
std::string libm_list(const char* macro, bool but_exp) {
  std::string out;
  for (const auto& e : ops::kElementwisePrims)
    if (e.has(ops::kLibm) && !(but_exp && e.id == ops::PrimId::exp)) out += std::string(macro) + "(" + std::string(e.name) + ") ";
  return out + "\n";
}
// kPrelude and kVectorPrelude with the lists above (exp has its own vector code: kr_exp).
const std::string& prelude() {
  static const std::string p = kPrelude + libm_list("KR_SIMD", false);
  return p;
}
const std::string& vector_prelude() {
  static const std::string p = kVectorPrelude + libm_list("KR_VMATH", true);
  return p;
}

const char* kind_name(Node::Kind k) {
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
std::string op_name(const Node& n) {
  if (n.kind == Node::Kind::Elementwise || n.kind == Node::Kind::Gather) return std::string(ops::prim_name(n.prim));
  if (n.kind == Node::Kind::Reduce) return std::string(reduction_name(n.red));
  return kind_name(n.kind);
}

std::string ctype(DType t) {
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

std::string storage_type(DType t) {
  if (t == DType::Float16 || t == DType::BFloat16) return "uint16_t";
  if (t == DType::Float32) return "float";
  return ctype(t);
}

std::string literal(double v, bool is_int, DType t) {
  std::string T = ctype(t);
  if (std::isnan(v)) return "((" + T + ")NAN)";
  if (std::isinf(v)) return v > 0 ? "((" + T + ")INFINITY)" : "((" + T + ")-INFINITY)";
  if (is_int) return "((" + T + ")" + std::to_string(static_cast<long long>(v)) + "LL)";
  return "((" + T + ")" + print_float(v) + ")";
}

class Gen {
 public:
  Gen(const Fusion& r, const Schedule& s, ContiguityMask contig, bool cuda = false) : r_(r), s_(s), contig_(contig), cuda_(cuda) {}

  std::string run() {
    if (cuda_) return run_cuda();
    std::ostringstream os;
    // The source must not mention sizes (they are arguments), so one kernel serves every shape of
    // the same structure; the region's text with its shapes goes into reproducers instead.
    os << prelude() << "// nodes:";
    for (const auto& n : r_.nodes) os << " " << op_name(n);
    os << "\n";
    os << "// schedule: " << s_.str() << "\n";
    os << "extern \"C\" void keraunos_kernel(char** P, const int64_t* S, const int64_t* ST, const double* SC) {\n";
    for (size_t k = 0; k < r_.sizes.size(); ++k) os << "  const int64_t s" << k << " = S[" << k << "];\n";
    int off = 0;
    for (size_t in = 0; in < r_.inputs.size(); ++in) {
      const Node* n = input_node(static_cast<int>(in));
      for (size_t d = 0; d < n->dims.size(); ++d) os << "  const int64_t st" << in << "_" << d << " = ST[" << off++ << "];\n";
    }
    // Typed, non-aliasing base pointers: loads and stores then vectorize without reloading P[k].
    for (size_t in = 0; in < r_.inputs.size(); ++in) {
      const Node* n = input_node(static_cast<int>(in));
      os << "  const " << storage_type(n->dtype) << "* __restrict in" << in << " = (const " << storage_type(n->dtype) << "*)P[" << in
         << "];\n";
    }
    for (size_t o = 0; o < r_.outputs.size(); ++o) {
      DType dt = r_.nodes[static_cast<size_t>(r_.outputs[o])].dtype;
      os << "  " << storage_type(dt) << "* __restrict out" << o << " = (" << storage_type(dt) << "*)P[" << r_.inputs.size() + o << "];\n";
    }
    // The status word after the outputs: 1 = an index out of range, 2 = out of memory for scratch.
    os << "  int64_t* kr_err = (int64_t*)P[" << r_.inputs.size() + r_.outputs.size() << "];\n  (void)kr_err;\n";
    os << "  (void)ST; (void)SC;\n";
    push("  ");  // the kernel's top level: values that depend on no loop variable land here
    std::ostringstream nest;
    if (s_.kind == Schedule::Kind::Pointwise)
      pointwise(nest);
    else if (s_.kind == Schedule::Kind::OuterReduction)
      outer_reduction(nest);
    else
      reduction(nest);
    os << pop() << nest.str() << "}\n";
    // The vector helpers (and <immintrin.h>, which triples a kernel's compile time) only where used.
    std::string src = os.str();
    if (used_vectors_) src.insert(src.find("// nodes:"), vector_prelude());
    return src;
  }

 private:
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
        if (contig_ >> input & 1) {
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

  void pointwise(std::ostringstream& os) {
    const auto& dims = s_.iter_dims;
    if (dims.empty()) {
      for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), "0", std::vector<std::string>{});
      return;
    }
    std::vector<int> outer(dims.begin(), dims.end() - 1);
    // Threads split the outer dims and chunks of the inner one, so a long 1-D loop runs in parallel.
    out() << "  const int64_t outer = " << product(outer) << ", inner = " << sz(dims.back()) << ";\n";
    out() << "  const int64_t chunk = 8192, nchunks = (inner + chunk - 1) / chunk;\n";
    os << "  #pragma omp parallel for collapse(2) schedule(static) if (outer * inner > " << s_.parallel_threshold << ")\n";
    os << "  for (int64_t o = 0; o < outer; ++o) {\n";
    os << "  for (int64_t c = 0; c < nchunks; ++c) {\n";
    push("    ");  // one chunk of one outer position
    bind("o");
    bind("c");
    std::vector<std::string> idx = delinearize("o", outer, "i");
    out() << indent() << "const int64_t j_end = (c + 1) * chunk < inner ? (c + 1) * chunk : inner;\n";
    bind("j_end");
    // Every output on lanes: the loop body is a generic lambda on 16-lane vectors with a float tail
    // (the auto-vectorizer's code for a long chain measured 2.4x slower); otherwise `omp simd`.
    std::set<int> seen;
    generic_ = true;
    for (int o : r_.outputs) generic_ = generic_ && float_like(r_.nodes[static_cast<size_t>(o)].dtype) && on_lanes(o, seen);
    used_vectors_ |= generic_;
    push("      ");
    if (generic_) lane_scope_ = scopes_.size() - 1;
    idx.push_back(bind("j"));
    for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), "o * inner + j", idx);
    std::string body = pop();
    lane_scope_ = kNoLanes;
    const std::string& in = indent();
    if (generic_) {
      out() << in << "auto kr_pw = [=](auto kr_tag, const int64_t j) {\n"
            << in << "  using F = decltype(kr_tag);\n"
            << in << "  using M = decltype(kr_tag < kr_tag);\n"
            << body << in << "};\n"
            << in << "int64_t j = c * chunk;\n"
            << in << "for (; j + KR_VW <= j_end; j += KR_VW) kr_pw(kr_vf{}, j);\n"
            << in << "for (; j < j_end; ++j) kr_pw(0.0f, j);\n";
    } else {
      out() << in << "#pragma omp simd\n" << in << "for (int64_t j = c * chunk; j < j_end; ++j) {\n" << body << in << "}\n";
    }
    generic_ = false;
    os << pop() << "  }\n  }\n";
  }

  // -- CUDA ------------------------------------------------------------------------------------
  // The same expressions and scopes as the C++ kernels; the arguments travel by value in one struct
  // sized for the region (pointers, sizes, strides and numbers are all 8 bytes, so its layout is
  // their concatenation, each array at least one long), and each thread computes elements of a
  // grid-stride loop. Pointwise schedules only, so far.
  std::string run_cuda() {
    KERAUNOS_CHECK(s_.kind != Schedule::Kind::OuterReduction, "fuser: no CUDA code for ", s_.str(), " schedules yet");
    std::ostringstream os;
    os << kCudaPrelude << "// nodes:";
    for (const auto& n : r_.nodes) os << " " << op_name(n);
    os << "\n// schedule: " << s_.str() << "\n";
    const CudaArgCounts c = cuda_arg_counts(r_);
    os << "struct KrArgs {\n  char* P[" << c.pointers << "];\n  int64_t S[" << c.sizes << "];\n  int64_t ST[" << c.strides
       << "];\n  double SC[" << c.numbers << "];\n};\n";
    os << "extern \"C\" __global__ void __launch_bounds__(" << kCudaBlock << ") keraunos_kernel(const KrArgs a) {\n";
    for (size_t k = 0; k < r_.sizes.size(); ++k) os << "  const int64_t s" << k << " = a.S[" << k << "];\n";
    int off = 0;
    for (size_t in = 0; in < r_.inputs.size(); ++in) {
      const Node* n = input_node(static_cast<int>(in));
      for (size_t d = 0; d < n->dims.size(); ++d) os << "  const int64_t st" << in << "_" << d << " = a.ST[" << off++ << "];\n";
    }
    for (size_t in = 0; in < r_.inputs.size(); ++in) {
      const std::string T = storage_type(input_node(static_cast<int>(in))->dtype);
      os << "  const " << T << "* __restrict__ in" << in << " = (const " << T << "*)a.P[" << in << "];\n";
    }
    for (size_t o = 0; o < r_.outputs.size(); ++o) {
      const std::string T = storage_type(r_.nodes[static_cast<size_t>(r_.outputs[o])].dtype);
      os << "  " << T << "* __restrict__ out" << o << " = (" << T << "*)a.P[" << r_.inputs.size() + o << "];\n";
    }
    os << "  int64_t* kr_err = (int64_t*)a.P[" << r_.inputs.size() + r_.outputs.size() << "];\n  (void)kr_err;\n";
    os << "  const double* SC = a.SC;\n  (void)SC;\n";
    push("  ");
    std::ostringstream nest;
    if (s_.kind == Schedule::Kind::Pointwise)
      cuda_pointwise(nest);
    else
      cuda_rows(nest);
    os << pop() << nest.str() << "}\n";
    return os.str();
  }

  // Reductions over the inner dims (Reduction and InnerPersistent schedules): one block per row in a
  // grid-stride loop over the rows. Each stage's reductions accumulate per thread over the row's
  // elements at a stride of the block, then combine across the block (warp shuffles, then one value
  // per warp through shared memory), so every thread holds the row's value for the next stage; the
  // reduced outputs are stored by thread 0 and the full-size outputs by the whole block. Later
  // stages recompute their inputs from memory (the row is usually still in L2).
  void cuda_rows(std::ostringstream& os) {
    std::vector<int> kept_dims, red_dims;
    for (int p : s_.kept) kept_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    for (int p : s_.reduced) red_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    int max_stage = 0;
    std::vector<int> reduces;
    for (size_t i = 0; i < r_.nodes.size(); ++i)
      if (r_.nodes[i].kind == Node::Kind::Reduce) {
        reduces.push_back(static_cast<int>(i));
        max_stage = std::max(max_stage, stage_of(static_cast<int>(i)));
      }
    const std::vector<int>& red_shape = r_.nodes[static_cast<size_t>(reduces[0])].dims;
    std::vector<int> full_outputs;
    for (int o : r_.outputs)
      if (r_.nodes[static_cast<size_t>(o)].dims == s_.iter_dims && r_.nodes[static_cast<size_t>(o)].dims != red_shape)
        full_outputs.push_back(o);
    out() << "  const int64_t O = " << product(kept_dims) << ", I = " << product(red_dims) << ";\n";
    os << "  for (int64_t o = blockIdx.x; o < O; o += gridDim.x) {\n";
    push("    ");  // one row
    bind("o");
    std::vector<std::string> kept_idx = delinearize("o", kept_dims, "k");
    std::vector<std::string> full_idx(s_.iter_dims.size());
    for (size_t k = 0; k < s_.kept.size(); ++k) full_idx[static_cast<size_t>(s_.kept[k])] = kept_idx[k];
    for (size_t k = 0; k < s_.reduced.size(); ++k) full_idx[static_cast<size_t>(s_.reduced[k])] = "q" + std::to_string(k);
    full_idx_ = full_idx;
    for (int st = 1; st <= max_stage; ++st) {
      loop_ = st - 1;
      std::vector<int> here;
      for (int ri : reduces)
        if (stage_of(ri) == st) here.push_back(ri);
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        const std::string AT = cuda_acc_type(n);
        out() << indent() << AT << " " << bind("acc" + std::to_string(ri)) << " = " << identity(n, AT) << ";\n";
        if (nan_flag(ri)) out() << indent() << "int " << bind("nan" + std::to_string(ri)) << " = 0;\n";
      }
      push("      ");
      delinearize(bind("q"), red_dims, "q");
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        const std::string acc = "acc" + std::to_string(ri), AT = cuda_acc_type(n);
        const std::string x = eval(n.in[0], full_idx);
        if (n.red == Reduction::Var) {  // two passes: the deviations are centered on the row's mean
          const std::string d = let(AT, "(" + AT + ")" + x + " - (" + AT + ")" + eval(n.in[1], kept_idx));
          out() << indent() << acc << " += " << d << " * " << d << ";\n";
        } else if (n.red == Reduction::Amax || n.red == Reduction::Amin) {
          out() << indent() << acc << " = " << x << (n.red == Reduction::Amax ? " > " : " < ") << acc << " ? " << x << " : " << acc
                << ";\n";
          if (nan_flag(ri)) out() << indent() << "nan" << ri << " |= (int)(" << x << " != " << x << ");\n";
        } else {
          out() << indent() << acc << (n.red == Reduction::Prod ? " *= " : " += ") << x << ";\n";
        }
      }
      const std::string body = pop();
      out() << indent() << "for (int64_t q = threadIdx.x; q < I; q += blockDim.x) {\n" << body << indent() << "}\n";
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        const std::string id = std::to_string(ri), AT = cuda_acc_type(n);
        const char* op = n.red == Reduction::Prod   ? "KR_PROD"
                         : n.red == Reduction::Amax ? "KR_MAX"
                         : n.red == Reduction::Amin ? "KR_MIN"
                                                    : "KR_SUM";
        out() << indent() << "acc" << id << " = kr_block_reduce<" << AT << ", " << op << ">(acc" << id << ", " << identity(n, AT) << ");\n";
        std::string val = finished(n, "acc" + id);
        if (nan_flag(ri)) {
          out() << indent() << "nan" << id << " = kr_block_reduce<int, KR_MAX>(nan" << id << ", 0);\n";
          val = "(nan" + id + " ? NAN : acc" + id + ")";
        }
        const std::string T = ctype(n.dtype);
        out() << indent() << "const " << T << " " << bind("red" + id) << " = (" << T << ")" << val << ";\n";
        acc_[ri] = "red" + id;
      }
    }
    loop_ = max_stage;
    std::ostringstream reduced;
    push(indent() + "  ");
    for (size_t o = 0; o < r_.outputs.size(); ++o)
      if (std::find(full_outputs.begin(), full_outputs.end(), r_.outputs[o]) == full_outputs.end())
        store(static_cast<int>(o), "o", reduced_index(r_.outputs[o], kept_dims, kept_idx));
    const std::string reduced_body = pop();
    if (!reduced_body.empty()) out() << indent() << "if (threadIdx.x == 0) {\n" << reduced_body << indent() << "}\n";
    if (!full_outputs.empty()) {
      push("      ");
      delinearize(bind("q"), red_dims, "q");
      for (size_t o = 0; o < r_.outputs.size(); ++o)
        if (std::find(full_outputs.begin(), full_outputs.end(), r_.outputs[o]) != full_outputs.end())
          store(static_cast<int>(o), "o * I + q", full_idx);
      const std::string body = pop();
      out() << indent() << "for (int64_t q = threadIdx.x; q < I; q += blockDim.x) {\n" << body << indent() << "}\n";
    }
    // (The next row's first combine synchronizes before it writes the shared memory this row's last
    // combine read.)
    os << pop() << "  }\n";
  }

  void cuda_pointwise(std::ostringstream& os) {
    const auto& dims = s_.iter_dims;
    out() << "  const int64_t n = " << product(dims) << ";\n";
    os << "  for (int64_t lin = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; lin < n; lin += (int64_t)gridDim.x * blockDim.x) {\n";
    push("    ");
    bind("lin");
    std::vector<std::string> idx = delinearize("lin", dims, "i");
    for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), "lin", idx);
    os << pop() << "  }\n";
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

  // -- reductions --------------------------------------------------------------------------------
  // Loops over one row: loop k < max_stage accumulates the reductions of stage k + 1, the last one
  // writes the full-size outputs. A full-size value that costs a transcendental call and is needed
  // by two of these loops is kept in a per-thread row buffer by the first (softmax's exponentials),
  // so the later loop loads it instead of recomputing it.

  static bool transcendental(const Node& n) {
    if (n.kind != Node::Kind::Elementwise) return false;
    return !ops::elementwise_info(n.prim).has(ops::kCheap);
  }

  // Which loops (by number) evaluate each full-size node, walking from the loops' roots.
  void plan_row_buffers(int max_stage, const std::vector<int>& reduces, const std::vector<int>& full_outputs) {
    const std::vector<int>& full = s_.iter_dims;
    std::map<int, std::set<int>> loops_of;
    std::function<void(int, int)> walk = [&](int ni, int loop) {
      const Node& n = r_.nodes[static_cast<size_t>(ni)];
      if (n.kind == Node::Kind::Reduce || n.dims != full) return;
      if (!loops_of[ni].insert(loop).second) return;
      for (int i : n.in) walk(i, loop);
    };
    for (int ri : reduces) walk(r_.nodes[static_cast<size_t>(ri)].in[0], stage_of(ri) - 1);
    for (int o : full_outputs) walk(o, max_stage);
    // In node order (operands first): buffer a node whose work since the last buffer includes a
    // transcendental call and that two loops need.
    std::map<int, bool> costly;
    for (const auto& [ni, loops] : loops_of) {
      const Node& n = r_.nodes[static_cast<size_t>(ni)];
      bool c = transcendental(n);
      for (int i : n.in)
        if (auto it = costly.find(i); it != costly.end() && it->second && !buffers_.count(i)) c = true;
      costly[ni] = c;
      if (c && loops.size() >= 2 && buffers_.size() < 4 && n.kind != Node::Kind::Input)
        buffers_[ni] = {"buf" + std::to_string(buffers_.size()), *loops.begin(), false};
    }
  }

  // `kr_nt`: whether this call writes a row kernel's full-size outputs `outs` with non-temporal
  // stores: together at least kr_nt_min_bytes() (half the last-level cache), every vector store
  // aligned (rows of whole vectors, 64-byte aligned bases), and rows not split across threads.
  std::string nt_decision(const std::vector<int>& outs) const {
    std::string bytes = "(int64_t)0", aligned = "true";
    for (size_t o = 0; o < r_.outputs.size(); ++o) {
      if (std::find(outs.begin(), outs.end(), r_.outputs[o]) == outs.end()) continue;
      bytes += " + (int64_t)sizeof(*out" + std::to_string(o) + ")";
      aligned += " && (uintptr_t)out" + std::to_string(o) + " % 64 == 0";
    }
    return "  const bool kr_nt = !split && O * I * (" + bytes + ") >= kr_nt_min_bytes() && I % KR_VW == 0 && " + aligned + ";\n";
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

  void reduction(std::ostringstream& os) {
    std::vector<int> kept_dims, red_dims;
    for (int p : s_.kept) kept_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    for (int p : s_.reduced) red_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    int max_stage = 0;
    std::vector<int> reduces;
    for (size_t i = 0; i < r_.nodes.size(); ++i)
      if (r_.nodes[i].kind == Node::Kind::Reduce) {
        reduces.push_back(static_cast<int>(i));
        max_stage = std::max(max_stage, stage_of(static_cast<int>(i)));
      }
    const std::vector<int>& red_shape = r_.nodes[static_cast<size_t>(reduces[0])].dims;
    std::vector<int> full_outputs;
    for (int o : r_.outputs)
      if (r_.nodes[static_cast<size_t>(o)].dims == s_.iter_dims && r_.nodes[static_cast<size_t>(o)].dims != red_shape)
        full_outputs.push_back(o);
    if (s_.kind == Schedule::Kind::InnerPersistent) plan_row_buffers(max_stage, reduces, full_outputs);
    generic_ = vector_rows(reduces, full_outputs);
    used_vectors_ |= generic_;
    // The first loop over a row streams it from memory; the next one (working from L1) prefetches
    // the next row's inputs, so the memory stream overlaps the arithmetic.
    const bool two_loops = max_stage + (full_outputs.empty() ? 0 : 1) >= 2;
    prefetch_loop_ = generic_ && two_loops && s_.reduced.back() + 1 == static_cast<int>(s_.iter_dims.size()) ? 1 : -1;

    out() << "  const int64_t O = " << product(kept_dims) << ", I = " << product(red_dims) << ";\n";
    // Few long rows (a whole-tensor sum): threads split each row's blocks instead of taking rows.
    const bool persistent = s_.kind == Schedule::Kind::InnerPersistent;
    if (persistent) out() << "  const bool split = O < omp_get_max_threads() && I >= 65536;\n";
    const bool nt = generic_ && !full_outputs.empty();
    if (nt) out() << nt_decision(full_outputs);
    // Row buffers: one allocation (checked) with a slab of 64-byte-rounded buffers per thread.
    std::string slab = "(int64_t)0";
    std::vector<std::string> buf_offsets;
    for (const auto& [ni, b] : buffers_) {
      buf_offsets.push_back(slab);
      slab += " + (int64_t)((sizeof(" + ctype(r_.nodes[static_cast<size_t>(ni)].dtype) + ") * (I > 0 ? I : 1) + 63) / 64 * 64)";
    }
    if (!buffers_.empty()) {
      out() << "  const int64_t slab = " << slab << ";\n";
      out() << "  char* kr_rows = (char*)std::malloc((size_t)(slab * omp_get_max_threads()));\n";
      out() << "  if (!kr_rows) { kr_err[0] = 2; return; }\n";
    }
    os << "  #pragma omp parallel if (O * I > " << s_.parallel_threshold << (persistent ? " && !split" : "") << ")\n  {\n";
    size_t bi = 0;
    for (const auto& [ni, b] : buffers_) {
      std::string T = ctype(r_.nodes[static_cast<size_t>(ni)].dtype);
      os << "  " << T << "* __restrict " << b.name << " = (" << T << "*)(kr_rows + slab * omp_get_thread_num() + " << buf_offsets[bi++]
         << ");\n";
    }
    os << "  #pragma omp for schedule(static)\n";
    os << "  for (int64_t o = 0; o < O; ++o) {\n";
    push("    ");  // one row
    bind("o");
    std::vector<std::string> kept_idx = delinearize("o", kept_dims, "k");
    std::vector<std::string> full_idx(s_.iter_dims.size());
    for (size_t k = 0; k < s_.kept.size(); ++k) full_idx[static_cast<size_t>(s_.kept[k])] = kept_idx[k];
    for (size_t k = 0; k < s_.reduced.size(); ++k) full_idx[static_cast<size_t>(s_.reduced[k])] = "q" + std::to_string(k);
    full_idx_ = full_idx;
    for (int st = 1; st <= max_stage; ++st) {
      loop_ = st - 1;
      std::vector<int> here;
      for (int ri : reduces)
        if (stage_of(ri) == st) here.push_back(ri);
      std::string clauses;
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string acc = bind("acc" + std::to_string(ri));
        std::string AT = acc_type(n);
        std::string init = identity(n, AT);
        out() << indent() << AT << " " << acc << " = " << init << ";\n";
        if (sum_like(n)) out() << indent() << "double " << bind("tot" + std::to_string(ri)) << " = " << init << ";\n";
        const char* red = n.red == Reduction::Prod ? "*" : n.red == Reduction::Amax ? "max" : n.red == Reduction::Amin ? "min" : "+";
        clauses += std::string(" reduction(") + red + ":" + acc + ")";
        if (nan_flag(ri)) {
          // max/min with a NaN flag beside: an int flag keeps the loop vectorized.
          out() << indent() << "int " << bind("nan" + std::to_string(ri)) << " = 0;\n";
          clauses += " reduction(|:nan" + std::to_string(ri) + ")";
        }
      }
      push("      ");
      if (generic_) lane_scope_ = scopes_.size() - 1;
      delinearize(bind("q"), red_dims, "q");
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string acc = "acc" + std::to_string(ri);
        std::string x = eval(n.in[0], full_idx);
        if (n.red == Reduction::Var) {
          std::string m = eval(n.in[1], kept_idx);
          std::string AT = acc_type(n);  // two passes: the deviations are centered on the row's mean
          std::string d = generic_ ? let(AT, x + " - " + m) : let(AT, "(" + AT + ")" + x + " - (" + AT + ")" + m);
          out() << indent() << acc << " += " << d << " * " << d << ";\n";
        } else if (n.red == Reduction::Amax || n.red == Reduction::Amin) {
          out() << indent() << acc << " = " << x << (n.red == Reduction::Amax ? " > " : " < ") << acc << " ? " << x << " : " << acc
                << ";\n";
          if (nan_flag(ri)) out() << indent() << "nan" << ri << " |= " << (generic_ ? "(" : "(int)(") << x << " != " << x << ");\n";
        } else if (n.red == Reduction::Prod) {
          out() << indent() << acc << " *= " << x << ";\n";
        } else {
          out() << indent() << acc << " += " << x << ";\n";
        }
      }
      std::string body = pop();
      lane_scope_ = kNoLanes;
      // Blocks of the row: sums within a block across SIMD lanes in the accumulator's type, the
      // blocks' sums in double, so a long row (a whole-tensor sum) keeps its precision.
      std::string resets, totals, split_clauses;
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string id = std::to_string(ri);
        if (!sum_like(n)) {
          split_clauses += std::string(" reduction(") + (n.red == Reduction::Amax ? "max" : "min") + ":acc" + id + ")";
          if (nan_flag(ri)) split_clauses += " reduction(|:nan" + id + ")";
          continue;
        }
        resets += indent() + "  acc" + id + " = " + (n.red == Reduction::Prod ? "1" : "0") + ";\n";
        totals += indent() + "  tot" + id + (n.red == Reduction::Prod ? " *= " : " += ") + "acc" + id + ";\n";
        split_clauses += std::string(" private(acc") + id + ") reduction(" + (n.red == Reduction::Prod ? "*" : "+") + ":tot" + id + ")";
      }
      std::ostringstream loop;
      loop << indent() << "for (int64_t qb = 0; qb < I; qb += 4096) {\n"
           << indent() << "  const int64_t qe = qb + 4096 < I ? qb + 4096 : I;\n"
           << resets;
      if (generic_)
        loop << generic_block(here, body, indent() + "  ");
      else
        loop << indent() << "  #pragma omp simd" << clauses << "\n"
             << indent() << "  for (int64_t q = qb; q < qe; ++q) {\n"
             << body << indent() << "  }\n";
      loop << totals << indent() << "}\n";
      if (persistent)  // the same loop twice: a parallel region per row would cost more than a short row
        out() << indent() << "if (split) {\n"
              << indent() << "#pragma omp parallel for schedule(static)" << split_clauses << "\n"
              << loop.str() << indent() << "} else {\n"
              << loop.str() << indent() << "}\n";
      else
        out() << loop.str();
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string acc = (sum_like(n) ? "tot" : "acc") + std::to_string(ri);
        std::string val = finished(n, acc);
        if (nan_flag(ri)) val = "(nan" + std::to_string(ri) + " ? NAN : " + acc + ")";
        std::string T = ctype(n.dtype);
        std::string v = bind("red" + std::to_string(ri));
        out() << indent() << "const " << T << " " << v << " = (" << T << ")" << val << ";\n";
        acc_[ri] = v;
      }
    }
    // Outputs of the reduced shape, then full-size outputs (one more loop over the row).
    loop_ = max_stage;
    for (size_t o = 0; o < r_.outputs.size(); ++o)
      if (std::find(full_outputs.begin(), full_outputs.end(), r_.outputs[o]) == full_outputs.end())
        store(static_cast<int>(o), "o", reduced_index(r_.outputs[o], kept_dims, kept_idx));
    if (!full_outputs.empty()) {
      push("      ");
      if (generic_) lane_scope_ = scopes_.size() - 1;
      delinearize(bind("q"), red_dims, "q");
      nt_stores_ = nt;
      for (size_t o = 0; o < r_.outputs.size(); ++o)
        if (std::find(full_outputs.begin(), full_outputs.end(), r_.outputs[o]) != full_outputs.end())
          store(static_cast<int>(o), "o * I + q", full_idx);
      nt_stores_ = false;
      std::string body = pop();
      lane_scope_ = kNoLanes;
      std::string loop = indent() + "for (int64_t q = 0; q < I; ++q) {\n" + body + indent() + "}\n";
      if (generic_) {
        const std::string& in = indent();
        out() << in << "auto kr_out = [=](auto kr_tag, const int64_t q) {\n"
              << in << "  using F = decltype(kr_tag);\n"
              << in << "  using M = decltype(kr_tag < kr_tag);\n"
              << body << in << "};\n"
              << in << "if (split) {\n"
              << in << "  #pragma omp parallel for schedule(static)\n"
              << in << "  for (int64_t qv = 0; qv < I / KR_VW; ++qv) kr_out(kr_vf{}, qv * KR_VW);\n"
              << in << "  for (int64_t q = I / KR_VW * KR_VW; q < I; ++q) kr_out(0.0f, q);\n"
              << in << "} else {\n"
              << in << "  int64_t q = 0;\n"
              << in << "  for (; q + KR_VW <= I; q += KR_VW) kr_out(kr_vf{}, q);\n"
              << in << "  for (; q < I; ++q) kr_out(0.0f, q);\n"
              << in << "}\n";
      } else if (persistent)
        out() << indent() << "if (split) {\n"
              << indent() << "#pragma omp parallel for simd schedule(static)\n"
              << loop << indent() << "} else {\n"
              << indent() << "#pragma omp simd\n"
              << loop << indent() << "}\n";
      else
        out() << indent() << "#pragma omp simd\n" << loop;
    }
    os << pop() << "  }\n";
    if (nt) os << "  if (kr_nt) kr_sfence();  // the non-temporal stores are done before the region's barrier\n";
    os << "  }\n";
    if (!buffers_.empty()) os << "  std::free(kr_rows);\n";
    generic_ = false;
  }

  // A row loop as a generic body: the reductions' accumulators are parameters (a vector and a
  // scalar set, combined after), everything else is captured by value (by reference, GCC would
  // reload captured pointers after every store).
  std::string generic_block(const std::vector<int>& here, const std::string& body, const std::string& in) {
    // Four sets of vector accumulators in turn: one set would chain every add on the previous one.
    constexpr int kChains = 4;
    std::ostringstream b;
    std::string params, sargs, combine;
    std::vector<std::string> vargs(kChains);
    b << in << "{\n";
    for (int ri : here) {
      const Node& n = r_.nodes[static_cast<size_t>(ri)];
      std::string id = std::to_string(ri), init = n.red == Reduction::Amax ? "-INFINITY" : n.red == Reduction::Amin ? "INFINITY" : "0";
      const bool minmax = n.red == Reduction::Amax || n.red == Reduction::Amin, flag = nan_flag(ri);
      params += "auto& acc" + id + ", ";
      sargs += "acc" + id + ", ";
      if (flag) {
        params += "auto& nan" + id + ", ";
        sargs += "nan" + id + ", ";
      }
      for (int c = 0; c < kChains; ++c) {
        std::string v = "acc" + id + "_v" + std::to_string(c), f = "nan" + id + "_v" + std::to_string(c);
        b << in << "  kr_vf " << v << " = kr_vf{} + (float)(" << init << ");\n";
        vargs[static_cast<size_t>(c)] += v + ", ";
        if (minmax) {
          if (flag) {
            b << in << "  kr_vi " << f << " = {};\n";
            vargs[static_cast<size_t>(c)] += f + ", ";
          }
          const char* cmp = n.red == Reduction::Amax ? " > " : " < ";
          combine += in + "  { const float h = " + (n.red == Reduction::Amax ? "kr_hmax" : "kr_hmin") + "(" + v + "); acc" + id + " = h" +
                     cmp + "acc" + id + " ? h : acc" + id + ";" + (flag ? " nan" + id + " |= kr_hor(" + f + ");" : "") + " }\n";
        } else {
          combine += in + "  acc" + id + " += kr_hsum(" + v + ");\n";
        }
      }
    }
    b << in << "  auto kr_body = [=](" << params << "auto kr_tag, const int64_t q) {\n"
      << in << "    using F = decltype(kr_tag);\n"
      << in << "    using M = decltype(kr_tag < kr_tag);\n"
      << body << in << "  };\n";
    b << in << "  int64_t q = qb;\n";
    b << in << "  for (; q + " << kChains << " * KR_VW <= qe; q += " << kChains << " * KR_VW) {\n";
    for (int c = 0; c < kChains; ++c) b << in << "    kr_body(" << vargs[static_cast<size_t>(c)] << "kr_vf{}, q + " << c << " * KR_VW);\n";
    b << in << "  }\n";
    b << in << "  for (; q + KR_VW <= qe; q += KR_VW) kr_body(" << vargs[0] << "kr_vf{}, q);\n";
    b << in << "  for (; q < qe; ++q) kr_body(" << sargs << "0.0f, q);\n";
    b << combine << in << "}\n";
    return b.str();
  }

  // Whether a value can live on vector lanes, read with the loop's lane index (the row loop's q, the
  // pointwise loop's j) as its last index: a float (f32/bf16/f16) or a mask, made by the ops below
  // from unit-stride inputs (the contiguous variant), broadcasts that keep the lane index as the
  // source's last dim (or drop it: a value constant along the lanes), literals, numbers and row
  // values. Index maps and integers keep scalar code: their index values are per lane. Masks are
  // nonzero-is-true (a lane's -1, a row's bool 1), so xor and comparisons of bools stay scalar.
  static bool float_like(DType t) { return t == DType::Float32 || t == DType::BFloat16 || t == DType::Float16; }
  bool on_lanes(int ni, std::set<int>& seen) const {
    if (!seen.insert(ni).second) return true;
    const Node& n = r_.nodes[static_cast<size_t>(ni)];
    auto dtype_of = [&](int i) { return r_.nodes[static_cast<size_t>(i)].dtype; };
    auto all_on_lanes = [&] {
      for (int i : n.in)
        if (!on_lanes(i, seen)) return false;
      return true;
    };
    switch (n.kind) {
      case Node::Kind::Reduce:
        return true;
      case Node::Kind::Literal:
      case Node::Kind::Scalar:
        return n.dtype != DType::Bool;  // masks come from comparisons and bool tensors
      case Node::Kind::Input:
        return (float_like(n.dtype) || n.dtype == DType::Bool) && (contig_ >> n.get<InputRef>().position & 1);
      case Node::Kind::Elementwise: {
        const auto& info = ops::elementwise_info(n.prim);
        if ((info.has(ops::kLanes) || info.has(ops::kLibm)) && float_like(n.dtype)) return all_on_lanes();
        if (n.prim == PrimId::where && float_like(n.dtype)) return dtype_of(n.in[0]) == DType::Bool && all_on_lanes();
        if (info.has(ops::kCompare)) return float_like(dtype_of(n.in[0])) && float_like(dtype_of(n.in[1])) && all_on_lanes();
        if (info.has(ops::kLogic)) {
          for (int i : n.in)
            if (dtype_of(i) != DType::Bool) return false;
          return all_on_lanes();
        }
        return false;
      }
      case Node::Kind::Convert: {
        const DType src = dtype_of(n.in[0]);
        const bool ok = (float_like(n.dtype) && (float_like(src) || src == DType::Bool)) || (n.dtype == DType::Bool && float_like(src));
        return ok && on_lanes(n.in[0], seen);
      }
      case Node::Kind::Broadcast: {
        const Node& src = r_.nodes[static_cast<size_t>(n.in[0])];
        const int64_t last = static_cast<int64_t>(n.dims.size()) - 1;
        const auto& out_dim = n.get<BroadcastMap>().out_dim;
        for (size_t i = 0; i < src.dims.size(); ++i)
          if (out_dim[i] == last && !is_one(src.dims[i])) return i + 1 == src.dims.size() && on_lanes(n.in[0], seen);
        return true;  // constant along the lanes
      }
      default:
        return false;
    }
  }

  // Whether the row loops can be generic bodies: one reduced dim, the last, and every reduction's
  // input and full-size output on lanes.
  bool vector_rows(const std::vector<int>& reduces, const std::vector<int>& full_outputs) const {
    if (s_.kind != Schedule::Kind::InnerPersistent || s_.reduced.size() != 1) return false;
    std::set<int> seen;
    for (int ri : reduces) {
      const Node& n = r_.nodes[static_cast<size_t>(ri)];
      if (n.red == Reduction::Prod || !float_like(r_.nodes[static_cast<size_t>(n.in[0])].dtype) || !on_lanes(n.in[0], seen)) return false;
    }
    for (int o : full_outputs)
      if (!float_like(r_.nodes[static_cast<size_t>(o)].dtype) || !on_lanes(o, seen)) return false;
    return true;
  }

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

  // -- outer reductions ---------------------------------------------------------------------------
  // The last dim is kept, so a row of the input is a run of contiguous columns. Each thread takes a
  // slice of the reduced rows and accumulates columns into its own partials (a tile of columns at a
  // time, so the tile's accumulators stay in L1 while the rows stream past); the partials are then
  // combined per column. A stage's combined values are arrays the next stage and the outputs read.
  // var with its mean is one Welford sweep: per thread a running mean and sum of squared deviations
  // (in float blocks of rows, merged into double), combined across threads by the parallel formula
  // (Chan et al.).
  void outer_reduction(std::ostringstream& os) {
    std::vector<int> kept_dims, red_dims;
    for (int p : s_.kept) kept_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    for (int p : s_.reduced) red_dims.push_back(s_.iter_dims[static_cast<size_t>(p)]);
    std::vector<int> outer_kept(kept_dims.begin(), kept_dims.end() - 1);
    std::map<int, int> welford_of_mean;  // mean node -> its var node
    for (int v : s_.welford) welford_of_mean[r_.nodes[static_cast<size_t>(v)].in[1]] = v;
    auto is_welford_var = [&](int ri) { return std::find(s_.welford.begin(), s_.welford.end(), ri) != s_.welford.end(); };
    std::vector<int> reduces;
    int max_stage = 0;
    for (size_t i = 0; i < r_.nodes.size(); ++i)
      if (r_.nodes[i].kind == Node::Kind::Reduce) {
        int ri = static_cast<int>(i);
        reduces.push_back(ri);
        max_stage = std::max(max_stage, stage_of(ri));
      }
    auto stage = [&](int ri) { return is_welford_var(ri) ? stage_of(r_.nodes[static_cast<size_t>(ri)].in[1]) : stage_of(ri); };

    out() << "  const int64_t O = " << product(kept_dims) << ", I = " << product(red_dims) << ";\n";
    out() << "  const int64_t OI = " << sz(kept_dims.back()) << ", OO = OI > 0 ? O / OI : 0;\n";
    // Threads take at least 64 rows each: partials cost T * O accumulators.
    out() << "  const int64_t T_rows = I / 64 > 1 ? I / 64 : 1;\n";
    out() << "  const int T = O * I > " << s_.parallel_threshold
          << " ? (int)(omp_get_max_threads() < T_rows ? omp_get_max_threads() : T_rows) : 1;\n";
    std::string all_ok = "true", free_all;
    for (int ri : reduces) {
      const Node& n = r_.nodes[static_cast<size_t>(ri)];
      std::string AT = outer_acc_type(n), RT = ctype(n.dtype), id = std::to_string(ri);
      out() << "  " << RT << "* __restrict red" << id << " = (" << RT << "*)std::malloc(sizeof(" << RT << ") * (O > 0 ? O : 1));\n";
      out() << "  " << AT << "* __restrict part" << id << " = (" << AT << "*)std::malloc(sizeof(" << AT << ") * T * (O > 0 ? O : 1));\n";
      all_ok += " && red" + id + " && part" + id;
      free_all += "std::free(red" + id + "); std::free(part" + id + "); ";
    }
    out() << "  if (!(" << all_ok << ")) { " << free_all << "kr_err[0] = 2; return; }\n";
    os << "  #pragma omp parallel num_threads(T)\n  {\n";
    push("  ");  // one thread
    out() << indent() << "const int nt = omp_get_num_threads(), t = omp_get_thread_num();\n";
    out() << indent() << "const int64_t q_begin = I * t / nt, q_end = I * (t + 1) / nt;\n";
    for (const char* n : {"nt", "t", "q_begin", "q_end"}) bind(n);
    for (int st = 1; st <= max_stage; ++st) {
      std::vector<int> here;
      for (int ri : reduces)
        if (stage(ri) == st) here.push_back(ri);
      if (here.empty()) continue;
      // Sums of floats and Welford run in blocks of 256 rows in float (16 lanes where double has 8),
      // each block merged into the thread's double partials: a plain add for sums; for Welford,
      // Chan's formula, the block working on values shifted by the thread's running mean (a large
      // mean costs no precision). Per thread and reduction, a tile's worth of block values, each
      // array its own allocation (GCC then knows they do not alias; offsets into one allocation
      // cost a third of Welford's speed).
      bool welford = false;
      std::vector<std::pair<int, std::string>> block_arrays;  // (reduction, array name)
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string AT = outer_acc_type(n), id = std::to_string(ri);
        std::string init = identity(n, AT);
        out() << indent() << AT << "* __restrict a" << id << " = part" << id << " + (int64_t)t * O;\n";
        out() << indent() << "for (int64_t o = 0; o < O; ++o) a" << id << "[o] = " << init << ";\n";
        bind("a" + id);
        if (welford_of_mean.count(ri)) {
          welford = true;
          for (const char* p : {"wm", "ws", "wsh"}) block_arrays.emplace_back(ri, p + id);
        } else if (blocked_sum(ri)) {
          block_arrays.emplace_back(ri, "fs" + id);
        }
      }
      const bool blocked = !block_arrays.empty();
      for (const auto& [ri, name] : block_arrays) {
        const std::string BT = block_type(ri);
        out() << indent() << BT << "* __restrict " << bind(name) << " = (" << BT << "*)std::malloc(sizeof(" << BT << ") * 8192);\n";
        out() << indent() << "if (!" << name << ") {\n"
              << indent() << "  #pragma omp atomic write\n"
              << indent() << "  kr_err[0] = 2;\n"
              << indent() << "}\n";
      }
      if (blocked) {  // every thread learns whether all got their block arrays
        out() << indent() << "#pragma omp barrier\n";
        out() << indent() << "const bool " << bind("blocks" + std::to_string(st)) << " = kr_err[0] != 2;\n";
      }
      // Each loop's header is written after its body: a statement hoisted out of the body lands
      // before the loop, in the scope that defines its names.
      const std::string thread_indent = indent();
      push(thread_indent + "  ");
      bind("oo");
      std::vector<std::string> kidx = delinearize("oo", outer_kept, "k");
      push(thread_indent + "    ");
      bind("jt");
      out() << indent() << "const int64_t j_end = jt + 8192 < OI ? jt + 8192 : OI;\n";
      bind("j_end");
      if (blocked) {  // a block of rows
        push(thread_indent + "      ");
        bind("qb");
        out() << indent() << "const int64_t " << bind("qe") << " = qb + 256 < q_end ? qb + 256 : q_end;\n";
      }
      push(thread_indent + (blocked ? "        " : "      "));
      std::vector<std::string> qidx = delinearize(bind("q"), red_dims, "q");
      push(indent() + "  ");
      bind("j");
      std::vector<std::string> full_idx(s_.iter_dims.size());
      for (size_t k = 0; k + 1 < s_.kept.size(); ++k) full_idx[static_cast<size_t>(s_.kept[k])] = kidx[k];
      full_idx[static_cast<size_t>(s_.kept.back())] = "j";
      for (size_t k = 0; k < s_.reduced.size(); ++k) full_idx[static_cast<size_t>(s_.reduced[k])] = qidx[k];
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        std::string AT = outer_acc_type(n), a = "a" + std::to_string(ri) + "[oo * OI + j]";
        std::string x = eval(n.in[0], full_idx);
        if (auto w = welford_of_mean.find(ri); w != welford_of_mean.end()) {
          // The thread's first row sets the shift (its deviation and the block's stats stay 0).
          const std::string BT = block_type(ri), id = std::to_string(ri), at = "[j - jt]";
          out() << indent() << "wsh" << id << at << " = (" << BT << ")" << x << ";" << kFirstRow << "\n";
          std::string xv = let(BT, "(" + BT + ")" + x + " - wsh" + id + at);
          std::string d = let(BT, xv + " - wm" + id + at);
          std::string rn = let(BT, "(" + BT + ")1 / (" + BT + ")(q - qb + 1)");  // once per row
          out() << indent() << "wm" << id << at << " += " << d << " * " << rn << ";\n";
          out() << indent() << "ws" << id << at << " += " << d << " * (" << xv << " - wm" << id << at << ");\n";
        } else if (is_welford_var(ri)) {
          continue;  // updated with its mean
        } else if (blocked_sum(ri)) {
          const std::string BT = block_type(ri), fs = "fs" + std::to_string(ri) + "[j - jt]";
          if (n.red == Reduction::Var) {  // a variance around a mean of another stage
            std::vector<std::string> mean_idx = kidx;
            mean_idx.push_back("j");
            std::string d = let(BT, "(" + BT + ")" + x + " - (" + BT + ")" + eval(n.in[1], mean_idx));
            out() << indent() << fs << " += " << d << " * " << d << ";\n";
          } else {
            out() << indent() << fs << " += " << x << ";\n";
          }
        } else if (n.red == Reduction::Var) {  // a variance around a mean of another stage
          std::vector<std::string> mean_idx = kidx;
          mean_idx.push_back("j");
          std::string m = eval(n.in[1], mean_idx);
          std::string d = let(AT, "(" + AT + ")" + x + " - (" + AT + ")" + m);
          out() << indent() << a << " += " << d << " * " << d << ";\n";
        } else if (n.red == Reduction::Amax || n.red == Reduction::Amin) {
          // NaN sticks: once the accumulator is NaN no comparison replaces it.
          std::string nan_test = is_floating(n.dtype) ? x + " != " + x + " || " : "";
          out() << indent() << a << " = (" << nan_test << x << (n.red == Reduction::Amax ? " > " : " < ") << a << ") ? " << x << " : " << a
                << ";\n";
        } else if (n.red == Reduction::Prod) {
          out() << indent() << a << " *= " << x << ";\n";
        } else {
          out() << indent() << a << " += " << x << ";\n";
        }
      }
      std::string jbody = pop();
      out() << indent() << "#pragma omp simd\n" << indent() << "for (int64_t j = jt; j < j_end; ++j) {\n" << jbody << indent() << "}\n";
      std::string qbody = pop();
      if (blocked) {  // the block's rows, between the block's start and its merge
        std::string blk = indent();
        for (const auto& [ri, name] : block_arrays) {
          std::string id = std::to_string(ri);
          if (name == "wsh" + id)
            out() << blk << "if (qb > q_begin)\n"
                  << blk << "  for (int64_t j = jt; j < j_end; ++j) " << name << "[j - jt] = (" << block_type(ri) << ")a" << id
                  << "[oo * OI + j];\n";
          else
            out() << blk << "for (int64_t j = jt; j < j_end; ++j) " << name << "[j - jt] = 0;\n";
        }
        if (welford) {  // the thread's first row is a loop of its own, the only one that sets the shift
          std::string rest;
          for (size_t b = 0, e; b < qbody.size(); b = e + 1) {
            e = qbody.find('\n', b);
            if (e == std::string::npos) e = qbody.size();
            std::string line = qbody.substr(b, e - b);
            if (line.find(kFirstRow) == std::string::npos) rest += line + "\n";
          }
          out() << blk << "if (qb == q_begin) for (int64_t q = qb; q < qb + 1; ++q) {\n" << qbody << blk << "}\n";
          out() << blk << "for (int64_t q = qb == q_begin ? qb + 1 : qb; q < qe; ++q) {\n" << rest << blk << "}\n";
          out() << blk
                << "const double cnt = (double)(qb - q_begin), nb = (double)(qe - qb), wb = nb / (cnt + nb), wc = cnt * nb / (cnt + nb);\n";
        } else {
          out() << blk << "for (int64_t q = qb; q < qe; ++q) {\n" << qbody << blk << "}\n";
        }
        for (const auto& [ri, name] : block_arrays)
          if (name == "fs" + std::to_string(ri))
            out() << blk << "#pragma omp simd\n"
                  << blk << "for (int64_t j = jt; j < j_end; ++j) a" << ri << "[oo * OI + j] += (double)" << name << "[j - jt];\n";
        for (const auto& [mean, var] : welford_of_mean) {
          if (std::find(here.begin(), here.end(), mean) == here.end()) continue;
          std::string id = std::to_string(mean), vid = std::to_string(var), AT = outer_acc_type(r_.nodes[static_cast<size_t>(mean)]);
          out() << blk << "#pragma omp simd\n" << blk << "for (int64_t j = jt; j < j_end; ++j) {\n";
          out() << blk << "  const " << AT << " d = ((" << AT << ")wsh" << id << "[j - jt] + (" << AT << ")wm" << id << "[j - jt]) - a"
                << id << "[oo * OI + j];\n";
          out() << blk << "  a" << id << "[oo * OI + j] += d * (" << AT << ")wb;\n";
          out() << blk << "  a" << vid << "[oo * OI + j] += (" << AT << ")ws" << id << "[j - jt] + d * d * (" << AT << ")wc;\n"
                << blk << "}\n";
        }
        qbody = pop();
        out() << indent() << "for (int64_t qb = q_begin; qb < q_end; qb += 256) {\n" << qbody << indent() << "}\n";
      } else {
        out() << indent() << "for (int64_t q = q_begin; q < q_end; ++q) {\n" << qbody << indent() << "}\n";
      }
      std::string tbody = pop();
      out() << indent() << "for (int64_t jt = 0; jt < OI; jt += 8192) {\n" << tbody << indent() << "}\n";
      std::string obody = pop();
      out() << indent() << (blocked ? "if (blocks" + std::to_string(st) + ") " : "") << "for (int64_t oo = 0; oo < OO; ++oo) {\n"
            << obody << indent() << "}\n";
      for (const auto& [ri, name] : block_arrays) out() << indent() << "std::free(" << name << ");\n";
      // Combine the threads' partials per column, in thread order (deterministic for a thread count).
      out() << indent() << "#pragma omp barrier\n" << indent() << "#pragma omp for schedule(static)\n";
      out() << indent() << "for (int64_t o = 0; o < O; ++o) {\n";
      std::string in2 = indent() + "  ", in3 = in2 + "  ";
      for (int ri : here) {
        const Node& n = r_.nodes[static_cast<size_t>(ri)];
        if (is_welford_var(ri)) continue;
        std::string AT = outer_acc_type(n), id = std::to_string(ri), RT = ctype(n.dtype);
        if (auto w = welford_of_mean.find(ri); w != welford_of_mean.end()) {
          std::string vid = std::to_string(w->second);
          out() << in2 << AT << " m = 0, m2 = 0; double cnt = 0;\n";
          out() << in2 << "for (int tt = 0; tt < nt; ++tt) {\n";
          out() << in3 << "const double nb = (double)(I * (tt + 1) / nt - I * tt / nt);\n";
          out() << in3 << "if (nb == 0) continue;\n";
          out() << in3 << "const " << AT << " mb = part" << id << "[(int64_t)tt * O + o], m2b = part" << vid << "[(int64_t)tt * O + o];\n";
          out() << in3 << "const double tot = cnt + nb;\n";
          out() << in3 << "const " << AT << " d = mb - m;\n";
          out() << in3 << "m += d * (" << AT << ")(nb / tot);\n";
          out() << in3 << "m2 += m2b + d * d * (" << AT << ")(cnt * nb / tot);\n";
          out() << in3 << "cnt = tot;\n";
          out() << in2 << "}\n";
          out() << in2 << "red" << id << "[o] = (" << RT << ")(I == 0 ? (" << AT << ")NAN : m);\n";
          out() << in2 << "red" << vid << "[o] = (" << ctype(r_.nodes[static_cast<size_t>(w->second)].dtype)
                << ")(I == 0 ? (double)NAN : (double)m2 / (double)(" << dof(r_.nodes[static_cast<size_t>(w->second)]) << "));\n";
          continue;
        }
        out() << in2 << "{\n" << in3 << AT << " acc = part" << id << "[o];\n";
        out() << in3 << "for (int tt = 1; tt < nt; ++tt) {\n";
        out() << in3 << "  const " << AT << " p = part" << id << "[(int64_t)tt * O + o];\n";
        if (n.red == Reduction::Amax || n.red == Reduction::Amin) {
          std::string nan_test = is_floating(n.dtype) ? "p != p || " : "";
          out() << in3 << "  acc = (acc != acc) ? acc : (" << nan_test << "p" << (n.red == Reduction::Amax ? " > " : " < ")
                << "acc) ? p : acc;\n";
        } else if (n.red == Reduction::Prod) {
          out() << in3 << "  acc *= p;\n";
        } else {
          out() << in3 << "  acc += p;\n";
        }
        out() << in3 << "}\n";
        std::string val = finished(n, "acc");
        out() << in3 << "red" << id << "[o] = (" << RT << ")" << val << ";\n" << in2 << "}\n";
      }
      out() << indent() << "}\n";
      // From here on (after the loop's barrier) a stage's combined values can be read.
      for (int ri : here) bind("red" + std::to_string(ri));
    }
    // The outputs, per kept position.
    out() << indent() << "#pragma omp for schedule(static)\n" << indent() << "for (int64_t o = 0; o < O; ++o) {\n";
    push(indent() + "  ");
    bind("o");
    std::vector<std::string> kept_idx = delinearize("o", kept_dims, "k");
    for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), "o", reduced_index(r_.outputs[o], kept_dims, kept_idx));
    std::string obody = pop();
    out() << obody << indent() << "}\n";
    os << pop() << "  }\n";
    for (int ri : reduces) os << "  std::free(red" << ri << ");\n  std::free(part" << ri << ");\n";
  }

  static constexpr const char* kFirstRow = "  // the thread's first row";
  // The type a block of rows accumulates in: the input's compute type (float for f32/bf16/f16).
  std::string block_type(int ri) const { return ctype(r_.nodes[static_cast<size_t>(r_.nodes[static_cast<size_t>(ri)].in[0])].dtype); }
  // A sum (or a variance around another stage's mean) of floats, accumulated in double: in blocks.
  bool blocked_sum(int ri) const {
    const Node& n = r_.nodes[static_cast<size_t>(ri)];
    return (n.red == Reduction::Sum ||
            (n.red == Reduction::Var && std::find(s_.welford.begin(), s_.welford.end(), ri) == s_.welford.end())) &&
           outer_acc_type(n) == "double" && float_like(r_.nodes[static_cast<size_t>(n.in[0])].dtype);
  }

  // Each thread of an outer reduction adds up to I / T rows per column one after another, so sums
  // of floats accumulate in double there (rows of an inner reduction are summed across SIMD lanes).
  static std::string outer_acc_type(const Node& n) {
    if (is_floating(n.dtype) && n.red != Reduction::Amax && n.red != Reduction::Amin) return "double";
    return acc_type(n);
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
  // On CUDA, bool and 8/16-bit integer max/min accumulate in int (what warp shuffles carry).
  static std::string cuda_acc_type(const Node& n) {
    const std::string T = acc_type(n);
    return T == "int8_t" || T == "uint8_t" || T == "int16_t" ? "int" : T == "int64_t" ? "long long" : T;
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
  bool cuda_ = false;                                  // CUDA C++ for NVRTC instead of C++ for the host compiler
  bool generic_ = false;
  bool used_vectors_ = false;
  size_t lane_scope_ = kNoLanes;
  int prefetch_loop_ = -1;  // the row loop that prefetches the next row's inputs (-1: none)
  bool nt_stores_ = false;  // lane-wide stores of outputs go through kr_st*_nt(..., kr_nt)
  std::vector<std::string> full_idx_;
  int loop_ = 0;
};

}  // namespace

std::string generate_cpp(const Fusion& r, const Schedule& s, ContiguityMask contiguous) { return Gen(r, s, contiguous).run(); }

CudaArgCounts cuda_arg_counts(const Fusion& r) {
  CudaArgCounts c;
  c.pointers = static_cast<int>(r.inputs.size() + r.outputs.size() + 1);
  c.sizes = std::max<int>(1, static_cast<int>(r.sizes.size()));
  int strides = 0;
  for (const auto& n : r.nodes)
    if (n.kind == Node::Kind::Input) strides += static_cast<int>(n.dims.size());
  c.strides = std::max(1, strides);
  c.numbers = std::max<int>(1, static_cast<int>(r.scalars.size()));
  return c;
}

std::string generate_cuda(const Fusion& r, const Schedule& s, ContiguityMask contiguous) {
  return Gen(r, s, contiguous, /*cuda=*/true).run();
}

const char* cuda_prelude() { return kCudaPrelude; }

}  // namespace keraunos::fuser

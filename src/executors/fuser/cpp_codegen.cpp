// The C++ code generator: OpenMP over the outer iteration space, a `#pragma omp simd` inner loop,
// float16/bfloat16 computed in float32 and rounded once on store (or at an explicit conversion).
// The expressions, scopes and stores it shares with the CUDA generator are in emitter.h.
#include "executors/fuser/emitter.h"

namespace keraunos::fuser {
namespace {

using namespace emit;

const char* kPrelude =
#include "executors/fuser/prelude/cpu.inc"
    ;

const char* kVectorPrelude =
#include "executors/fuser/prelude/cpu_vector.inc"
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

class CppGen final : public Emitter {
 public:
  using Emitter::Emitter;

  std::string run() {
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

  void reduction(std::ostringstream& os) {
    const RowPlan plan = row_plan();
    const std::vector<int>&kept_dims = plan.kept_dims, &red_dims = plan.red_dims, &reduces = plan.reduces,
          &full_outputs = plan.full_outputs;
    const int max_stage = plan.max_stage;
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
};

}  // namespace

std::string generate_cpp(const Fusion& r, const Schedule& s, ContiguityMask contiguous) { return CppGen(r, s, contiguous).run(); }

}  // namespace keraunos::fuser

// The CUDA code generator: the same expressions, scopes and stores as the C++ kernels (emitter.h),
// in CUDA C++ for NVRTC. Pointwise regions take a thread per element in a grid-stride loop; inner
// reductions and normalizations a block per row. The arguments travel by value in one struct sized
// for the region (pointers, sizes, strides and numbers are all 8 bytes, so its layout is their
// concatenation, each array at least one long).
#include "executors/fuser/emitter.h"

namespace keraunos::fuser {
namespace {

using namespace emit;

const char* kCudaPrelude =
#include "executors/fuser/prelude/cuda.inc"
    ;

class CudaGen final : public Emitter {
 public:
  using Emitter::Emitter;

  std::string run() {
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
      pointwise(nest);
    else
      rows(nest);
    os << pop() << nest.str() << "}\n";
    return os.str();
  }

 private:
  // Reductions over the inner dims (Reduction and InnerPersistent schedules): one block per row in a
  // grid-stride loop over the rows. Each stage's reductions accumulate per thread over the row's
  // elements at a stride of the block, then combine across the block (warp shuffles, then one value
  // per warp through shared memory), so every thread holds the row's value for the next stage; the
  // reduced outputs are stored by thread 0 and the full-size outputs by the whole block. Later
  // stages recompute their inputs from memory (the row is usually still in L2).
  void rows(std::ostringstream& os) {
    const RowPlan plan = row_plan();
    const std::vector<int>&kept_dims = plan.kept_dims, &red_dims = plan.red_dims, &reduces = plan.reduces,
          &full_outputs = plan.full_outputs;
    const int max_stage = plan.max_stage;
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

  // Each thread takes kUnroll elements a grid stride apart per iteration (coalesced across the
  // warp), their loads independent: bytes in flight for the memory system's latency, where one
  // element per thread covers about half of it on Hopper. The remainder takes one at a time.
  static constexpr int kUnroll = 4;
  void pointwise(std::ostringstream& os) {
    const auto& dims = s_.iter_dims;
    out() << "  const int64_t n = " << product(dims) << ";\n";
    out() << "  const int64_t stride = (int64_t)gridDim.x * blockDim.x;\n";
    os << "  int64_t lin = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;\n";
    os << "  for (; lin + " << kUnroll - 1 << " * stride < n; lin += " << kUnroll << " * stride) {\n";
    push("    ");
    bind("lin");
    for (int u = 0; u < kUnroll; ++u) {
      const std::string l = bind("l" + std::to_string(u));
      out() << indent() << "const int64_t " << l << " = lin + " << u << " * stride;\n";
      std::vector<std::string> idx = delinearize(l, dims, "i" + std::to_string(u) + "_");
      linear_of_[idx] = l;
      for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), l, idx);
    }
    os << pop() << "  }\n";
    os << "  for (; lin < n; lin += stride) {\n";
    push("    ");
    bind("lin");
    std::vector<std::string> idx = delinearize("lin", dims, "i");
    linear_of_[idx] = "lin";
    for (size_t o = 0; o < r_.outputs.size(); ++o) store(static_cast<int>(o), "lin", idx);
    os << pop() << "  }\n";
  }
  // On CUDA, bool and 8/16-bit integer max/min accumulate in int (what warp shuffles carry).
  static std::string cuda_acc_type(const Node& n) {
    const std::string T = acc_type(n);
    return T == "int8_t" || T == "uint8_t" || T == "int16_t" ? "int" : T == "int64_t" ? "long long" : T;
  }
};

}  // namespace

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

std::string generate_cuda(const Fusion& r, const Schedule& s, ContiguityMask contiguous) { return CudaGen(r, s, contiguous).run(); }

const char* cuda_prelude() { return kCudaPrelude; }

}  // namespace keraunos::fuser

// The fusion IR: a region's prims as a DAG of tensor expressions, the scheduler that chooses how to
// loop over it (with printable, hashable parameters), and the C++ code generator. No ATen here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "ir/trace.h"
#include "ops/prim_table.h"
#include "support/error.h"

namespace keraunos::fuser {

// What a Reduce node computes (mean is the first pass of a variance; it is not a prim of its own).
enum class Reduction : uint8_t { Sum, Prod, Amax, Amin, Mean, Var };
std::string_view reduction_name(Reduction r);

// The facts a node of each kind carries beyond its operands, shape and dtype (Node::data).
struct InputRef {  // Input: position among the tensor inputs; Scalar: among the number inputs
  int position = 0;
};
struct LiteralValue {
  double value = 0;
  bool is_int = false;  // an int or bool literal
};
struct BroadcastMap {  // Broadcast: input dim i becomes output dim out_dim[i]
  std::vector<int64_t> out_dim;
};
struct Permutation {  // Transpose: output dim i reads input dim perm[i]
  std::vector<int64_t> perm;
};
struct DimList {  // Squeeze: the input dims removed; Flip: the dims reversed (non-negative)
  std::vector<int64_t> dims;
};
struct SliceWindow {  // Slice: output index i of dim d reads start[d] + i * stride[d]
  std::vector<int64_t> start, stride;
};
struct Axis {  // Gather: the dim the index selects along; Cat: the dim the inputs are joined along
  int64_t dim = 0;
};
struct PadWidths {  // Pad, per dim: elements before, after, and between neighbours
  std::vector<int64_t> low, high, interior;
};
struct ReduceDims {  // Reduce: the reduced dims of the input (sorted); Var's correction
  std::vector<int64_t> dims;
  int64_t correction = 0;
};
using NodeData =
    std::variant<std::monostate, InputRef, LiteralValue, BroadcastMap, Permutation, DimList, SliceWindow, Axis, PadWidths, ReduceDims>;

// One node of the fusion DAG.
struct Node {
  enum class Kind : uint8_t {
    Input,
    Scalar,
    Literal,
    Elementwise,
    Convert,
    Broadcast,
    Reshape,
    Transpose,
    Squeeze,
    Slice,
    Flip,
    Reduce,
    Gather,
    Cat,
    Pad
  };
  Kind kind;
  ops::PrimId prim = ops::PrimId::add;  // Elementwise and Gather: which prim
  Reduction red = Reduction::Sum;       // Reduce: which reduction
  std::vector<int> in;                  // operand nodes
  std::vector<int> dims;                // this node's shape: indices into Fusion::sizes
  DType dtype = DType::Float32;
  NodeData data;  // the kind's own facts (see above)

  static std::string_view kind_name(Kind k);
  // The kind's payload; asking for another kind's is an internal error.
  template <typename T>
  const T& get() const {
    const T* p = std::get_if<T>(&data);
    KERAUNOS_CHECK(p != nullptr, "fuser: a ", kind_name(kind), " node has no payload of the type asked for");
    return *p;
  }
};

// A fusion region's computation as a DAG (the partitioner's Region is the set of bound symbols it
// came from; this is what the fuser schedules and generates code for).
struct Fusion {
  std::vector<Node> nodes;
  std::vector<Dim> sizes;        // distinct sizes the kernel takes as arguments (S[k])
  std::vector<ProxyId> inputs;   // tensor inputs, in the region's argument order
  std::vector<ProxyId> scalars;  // number inputs
  std::vector<int> outputs;      // output nodes, in the region bound symbol's output order
  std::vector<ProxyId> output_proxies;
  std::string text;  // the region, printed (for reproducers)
  // The fusion gathers: its kernel checks the indices (an index out of range sets the status word
  // and reads element 0 instead), and the caller checks that no gathered dim is empty.
  bool checks_indices = false;
};

// Why a region cannot be fused, or its fusion.
struct BuildResult {
  Decision ok;
  Fusion fusion;
};
// Builds the DAG from a region bound symbol (its subsymbols, decomposed down to prims).
BuildResult build_fusion(const Trace& t, const BoundSymbol& region);
// The DAG as text, one node a line (`n3 = exp(n2)  f32 [S0, S1]`), for tests and debugging.
std::string describe(const Fusion& r);
// Whether the fuser has code for one prim (with dtypes, every tensor on one device): the claim check
// of the executors (each also checks the device kind it compiles for).
Decision supports_prim(const Trace& t, const BoundSymbol& b);

// The scheduler's choice, printable and hashable.
struct Schedule {
  // Pointwise: one loop nest over the outputs. InnerPersistent: trailing dims reduced; a thread owns
  // whole rows and loops over each row once per reduction stage (plus once for full-size outputs).
  // OuterReduction: the last dim is kept; threads split the reduced rows, accumulate contiguous
  // columns into private partials and combine them (var_mean by Welford, in one sweep). Reduction:
  // any other mix of reduced and kept dims, one kept position at a time.
  enum class Kind : uint8_t { Pointwise, InnerPersistent, OuterReduction, Reduction } kind = Kind::Pointwise;
  std::vector<int> iter_dims;          // the iteration shape (sizes indices): outputs' shape, or the reduced input's
  std::vector<int> kept;               // positions in iter_dims that are kept (reductions)
  std::vector<int> reduced;            // positions in iter_dims that are reduced
  std::vector<int> welford;            // OuterReduction: var nodes computed with their mean in one Welford sweep
  int vector_width = 8;                // a hint for the inner loop (`#pragma omp simd simdlen`)
  int64_t parallel_threshold = 32768;  // elements below which the loop runs on one thread
  std::string str() const;
  uint64_t hash() const;
};

struct ScheduleResult {
  Decision ok;
  Schedule schedule;
};
ScheduleResult schedule_fusion(const Fusion& r);

// Which inputs are contiguous in this kernel variant (one bit per tensor input).
using ContiguityMask = uint64_t;

// C++ source of `extern "C" void keraunos_kernel(char** P, const int64_t* S, const int64_t* ST,
// const double* SC)`: P = tensor inputs, then outputs, then an int64 status word the kernel sets
// (1: an index out of range, 2: out of memory for scratch), S = sizes, ST = input strides
// (elements, input-major), SC = number inputs. Outputs are contiguous.
std::string generate_cpp(const Fusion& r, const Schedule& s, ContiguityMask contiguous);

// CUDA C++ (for NVRTC) of `extern "C" __global__ void keraunos_kernel(const KrArgs a)`: KrArgs holds
// P, S, ST and SC as above by value, each an array of 8-byte words at least one long (counts from
// cuda_arg_counts). Launched with kCudaBlock threads per block and any number of blocks (a
// grid-stride loop over elements for pointwise schedules, over rows for inner reductions and
// normalizations). Reductions over leading dims throw (not written yet).
inline constexpr int kCudaBlock = 256;
struct CudaArgCounts {
  int pointers = 0, sizes = 0, strides = 0, numbers = 0;
  int words() const { return pointers + sizes + strides + numbers; }
};
CudaArgCounts cuda_arg_counts(const Fusion& r);
std::string generate_cuda(const Fusion& r, const Schedule& s, ContiguityMask contiguous);
// The support code every CUDA kernel starts with (prelude/cuda.h).
const char* cuda_prelude();

}  // namespace keraunos::fuser

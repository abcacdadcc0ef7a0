// keraunos' public C++ API: record a program with torch-level ops on proxies, compile it with
// keraunos::jit, and call it on ATen tensors.
//
//   auto mlp = keraunos::jit([](const std::vector<keraunos::Tensor>& in) {
//     using namespace keraunos::ops;
//     auto h = gelu(linear(in[0], in[1], in[2]), "tanh");
//     return std::vector<keraunos::Tensor>{linear(h, in[3], in[4])};
//   });
//   std::vector<at::Tensor> out = mlp({x, w1, b1, w2, b2});
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#define KERAUNOS_API __attribute__((visibility("default")))

namespace keraunos {

class CompiledFunction;
struct CompileOptions;

// A tensor value while a program is being recorded (a proxy: shape, dtype and device, no data).
class KERAUNOS_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(int32_t proxy) : id_(proxy) {}
  int32_t id() const { return id_; }
  std::vector<int64_t> sizes() const;  // symbolic sizes are reported as -1
  int64_t dim() const;
  std::string dtype() const;  // torch's name: "float32"
  std::string str() const;    // "cpu f32[4, 8]"

 private:
  int32_t id_ = -1;
};

// An argument of a recorded call.
struct None {};
using Arg = std::variant<None, Tensor, int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<Tensor>, at::ScalarType>;
using Kwargs = std::vector<std::pair<std::string, Arg>>;

// Records one op (any registered symbol id, e.g. "torch.nn.functional.layer_norm") in the program
// being traced on this thread; returns its outputs.
KERAUNOS_API std::vector<Tensor> call(std::string_view op, const std::vector<Arg>& args, const Kwargs& kwargs = {});
KERAUNOS_API Tensor call1(std::string_view op, const std::vector<Arg>& args, const Kwargs& kwargs = {});

// Torch-level ops (the same ids as torch's functions).
namespace ops {
KERAUNOS_API Tensor add(const Tensor& a, const Arg& b);
KERAUNOS_API Tensor sub(const Tensor& a, const Arg& b);
KERAUNOS_API Tensor mul(const Tensor& a, const Arg& b);
KERAUNOS_API Tensor div(const Tensor& a, const Arg& b);
KERAUNOS_API Tensor exp(const Tensor& a);
KERAUNOS_API Tensor tanh(const Tensor& a);
KERAUNOS_API Tensor relu(const Tensor& a);
KERAUNOS_API Tensor gelu(const Tensor& a, const std::string& approximate = "none");
KERAUNOS_API Tensor silu(const Tensor& a);
KERAUNOS_API Tensor softmax(const Tensor& a, int64_t dim);
KERAUNOS_API Tensor matmul(const Tensor& a, const Tensor& b);
KERAUNOS_API Tensor linear(const Tensor& x, const Tensor& w, const std::optional<Tensor>& b = std::nullopt);
KERAUNOS_API Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape, const std::optional<Tensor>& w = std::nullopt,
                               const std::optional<Tensor>& b = std::nullopt, double eps = 1e-5);
KERAUNOS_API Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool is_causal = false);
KERAUNOS_API Tensor reshape(const Tensor& a, const std::vector<int64_t>& shape);
KERAUNOS_API Tensor transpose(const Tensor& a, int64_t d0, int64_t d1);
KERAUNOS_API Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim = false);
}  // namespace ops

KERAUNOS_API Tensor operator+(const Tensor& a, const Tensor& b);
KERAUNOS_API Tensor operator-(const Tensor& a, const Tensor& b);
KERAUNOS_API Tensor operator*(const Tensor& a, const Tensor& b);
KERAUNOS_API Tensor operator/(const Tensor& a, const Tensor& b);
KERAUNOS_API Tensor operator*(const Tensor& a, double b);

struct JitOptions {
  std::vector<std::string> executors;      // priority order; empty: the defaults
  bool symbolic_numbers = false;           // numbers by type, not value, in the cache key
  bool dynamic_shapes = false;             // sizes by symbolic class, not value, in the cache key
  std::optional<bool> dataflow_partition;  // override the fusion executors' partition mode
  bool keep_traces = true;
};

struct CacheStats {
  uint64_t hits = 0, misses = 0;
  size_t plans = 0;
  double trace_ms = 0, passes_ms = 0, plan_ms = 0;
  std::map<std::string, double> pass_ms;
};

class KERAUNOS_API Function {
 public:
  std::vector<at::Tensor> operator()(const std::vector<at::Tensor>& inputs) const;
  CacheStats cache_info() const;
  // The trace after each pass for the last call's signature ("initial", "dce", "dispatch", ...).
  std::vector<std::pair<std::string, std::string>> last_traces() const;
  // The placement report for the last call's signature, as a table, and a one-line summary.
  std::string placement() const;
  std::string placement_summary() const;

  std::shared_ptr<CompiledFunction> impl;
};

using ProgramFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;
KERAUNOS_API Function jit(ProgramFn fn, JitOptions options = {});

// Registers the built-in executors (idempotent); jit() calls it.
KERAUNOS_API void init();

}  // namespace keraunos

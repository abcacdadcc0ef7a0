// Symbols (operations with a signature, a meta function and, for composites, a decomposition)
// and the table that names them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/value.h"

namespace keraunos {

class Trace;
class Recorder;
struct BoundSymbol;
class Executor;  // executors/api: the owner of executor-specific symbols

// Properties of an operation, used by DCE, CSE, partitioning and rematerialization.
enum OpTag : uint32_t {
  kTagNone = 0,
  kTagShape = 1u << 0,  // reshapes/views: no arithmetic
  kTagElementwise = 1u << 1,
  kTagReduction = 1u << 2,
  kTagRandom = 1u << 3,  // never merged by CSE
  kTagMatmul = 1u << 4,
  kTagDontDce = 1u << 5,        // has an effect beyond its outputs
  kTagNonFunctional = 1u << 6,  // same inputs may give different outputs (empty, dropout)
  kTagCreation = 1u << 7,
  kTagInternal = 1u << 8,  // bookkeeping symbols (del, fusion regions)
  kTagFusion = 1u << 9,    // a fusion region: its subsymbols are its definition
  kTagView = 1u << 10,     // eager returns a view of its first input (the Python front end tracks aliases)
};

// How torch.autocast treats an op on one device type.
enum class AutocastPolicy : uint8_t { None, Lower /* runs in the autocast dtype */, Fp32 /* runs in float32 */ };

// What the Python front end needs to map torch's Python API onto a torch-level op, declared with the
// op (ops::python_facts parses the short form): the other Python callables that mean it
// ("torch.nn.functional.softmax", "torch.Tensor.softmax"), the operators that call it ("__add__";
// "r:__radd__" with its operands reversed; "i:__iadd__" in place), where varargs sizes begin
// (x.view(2, 3)), the torch.return_types name of a multi-output result, and the autocast policy.
struct PythonFacts {
  std::vector<std::string> names;
  int vararg_sizes = -1;
  std::string return_type;
  AutocastPolicy autocast_cpu = AutocastPolicy::None, autocast_cuda = AutocastPolicy::None;
};

// What a parameter accepts. Binding checks arguments against these and reports the op and parameter.
enum class ParamKind : uint8_t {
  Tensor,     // a tensor proxy
  OptTensor,  // a tensor proxy or None
  Tensors,    // a tuple of tensor proxies
  Number,     // bool/int/float literal or number proxy
  OptNumber,
  TensorOrNumber,
  Int,  // int literal or int number proxy
  OptInt,
  Ints,  // tuple of ints (a single int is normalized to a 1-tuple)
  OptInts,
  Float,  // int or float literal or number proxy
  OptFloat,
  Bool,
  OptBool,
  DType,
  OptDType,
  Device,
  OptDevice,
  Str,
  OptStr,
  Any,
};
std::string_view param_kind_name(ParamKind k);

struct Param {
  std::string name;
  ParamKind kind = ParamKind::Any;
  std::optional<Value> default_value;  // nullopt: required
  bool kw_only = false;                // printed as name=value
};

// The arguments a meta function sees: bound and normalized (one Value per parameter).
class MetaArgs {
 public:
  MetaArgs(const Trace& trace, const std::vector<Value>& args, std::string_view op) : trace_(trace), args_(args), op_(op) {}
  const Trace& trace() const { return trace_; }
  const std::vector<Value>& args() const { return args_; }
  const Value& operator[](size_t i) const { return args_[i]; }
  size_t size() const { return args_.size(); }
  std::string_view op() const { return op_; }
  const TensorType& tensor(size_t i) const;  // throws TypeError naming the op if not a tensor
  bool is_tensor(size_t i) const;
  const ProxyType& type_of(const Value& v) const;

 private:
  const Trace& trace_;
  const std::vector<Value>& args_;
  std::string_view op_;
};

using MetaFn = std::function<std::vector<ProxyType>(const MetaArgs&)>;
// A decomposition records other symbols through the recorder and returns its outputs.
using DecompFn = std::function<std::vector<Value>(Recorder&, const std::vector<Value>& args)>;
// A symbol's vector-Jacobian product, recorded: given the forward bound symbol (its arguments and
// outputs are proxies of the trace being recorded into) and one gradient per output (Value::none()
// where an output has none), records the backward's ops and returns one gradient per argument
// (Value::none() for numbers, integer tensors and arguments without one).
using GradFn = std::function<std::vector<Value>(Recorder&, const BoundSymbol& fwd, const std::vector<Value>& grads)>;

struct Symbol {
  std::string id;  // "prims.add", "torch.nn.functional.gelu"
  std::vector<Param> params;
  bool is_prim = false;
  uint32_t tags = kTagNone;
  MetaFn meta;      // prims (and opaque executor ops)
  DecompFn decomp;  // composites
  GradFn grad;      // differentiable prims (ops/prims/*.cpp, beside each prim's meta)
  std::string doc;
  bool variadic = false;               // takes any number of positional arguments (fusion regions)
  const Executor* executor = nullptr;  // set for symbols an executor registered (they run on it)
  int32_t prim = -1;                   // a prim's ops::PrimId (ops/prim_table.h); -1 for other symbols
  PythonFacts python;                  // torch-level ops: how the Python front end reaches them

  bool has_tag(OpTag t) const { return (tags & t) != 0; }
};

// The position of the parameter called `name`; throws naming the op and its parameters if it has none.
size_t param_index(const Symbol& sym, std::string_view name);

// Names symbols. Registration is an explicit call; lookups are by id.
class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Adds a symbol; throws if the id is taken. The returned pointer stays valid for the table's life.
  const Symbol* add(Symbol s);
  // Attaches a gradient rule to a registered symbol (at registration, beside the op's definition).
  void set_grad(std::string_view id, GradFn grad);
  const Symbol* find(std::string_view id) const;
  const Symbol& get(std::string_view id) const;  // throws naming the id
  const std::vector<const Symbol*>& all() const { return order_; }

 private:
  std::unordered_map<std::string, std::unique_ptr<Symbol>> by_id_;
  std::vector<const Symbol*> order_;
};

// Normalizes call arguments against the symbol's parameters (positional, then keywords, then
// defaults) and checks each against its kind. Throws TypeError naming the op and the parameter.
std::vector<Value> bind_arguments(const Symbol& sym, const Trace& trace, std::vector<Value> args,
                                  std::vector<std::pair<std::string, Value>> kwargs = {});

}  // namespace keraunos

// Shorthands used by decompositions to record prims.
#include "ops/prims/prims.h"

namespace keraunos::ops::prims {

Value call(Recorder& r, std::string_view name, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  return r.call1(std::string("prims.") + std::string(name), std::move(args), std::move(kwargs));
}

std::vector<Value> call_n(Recorder& r, std::string_view name, std::vector<Value> args,
                          std::vector<std::pair<std::string, Value>> kwargs) {
  return r.call(std::string("prims.") + std::string(name), std::move(args), std::move(kwargs));
}

}  // namespace keraunos::ops::prims

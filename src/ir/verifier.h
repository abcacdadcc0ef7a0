// Checks a trace's invariants: every value defined once and before use, argument counts, output
// types equal to what each symbol's meta computes, decompositions that define their parent's outputs.
#pragma once

#include <string>
#include <vector>

#include "ir/trace.h"
#include "support/error.h"

namespace keraunos {

class VerifyError : public Error {
 public:
  using Error::Error;
};

// All problems found, each naming the line and the offending bound symbol.
std::vector<std::string> verify_trace(Trace& trace);
// Throws VerifyError listing the problems (with `context`, e.g. the pass that produced the trace).
void verify_or_throw(Trace& trace, const std::string& context = {});

}  // namespace keraunos

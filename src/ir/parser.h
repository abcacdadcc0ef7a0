// Reads the text form of traces (see printer.h) back into a Trace.
#pragma once

#include <string>
#include <string_view>

#include "ir/trace.h"
#include "support/error.h"

namespace keraunos {

class ParseError : public Error {
 public:
  ParseError(int line, int column, const std::string& message);
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  int line_, column_;
  std::string message_;
};

// Parses one trace. Symbols are looked up in `symbols`. Uses of names defined later in the text are
// accepted here and reported by the verifier; unknown names, symbols and bad syntax are ParseErrors.
Trace parse_trace(std::string_view text, const SymbolTable& symbols);

}  // namespace keraunos

// Errors with reasons: the Error exception, Decision (a yes/no that carries why), and check macros.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace keraunos {

// Builds a string from any streamable pieces: str("dim ", d, " out of range").
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Raised by meta functions and binding: the op got arguments it cannot accept.
class TypeError : public Error {
 public:
  using Error::Error;
};

// A decision that says why when it says no. Checkers, merge tests and schedulers return these.
struct Decision {
  bool ok = true;
  std::string reason;

  static Decision yes() { return {true, {}}; }
  static Decision no(std::string why) { return {false, std::move(why)}; }
  explicit operator bool() const { return ok; }
};

}  // namespace keraunos

#define KERAUNOS_CHECK(cond, ...)                                       \
  do {                                                                  \
    if (!(cond)) throw ::keraunos::Error(::keraunos::str(__VA_ARGS__)); \
  } while (0)

#define KERAUNOS_TYPE_CHECK(cond, ...)                                      \
  do {                                                                      \
    if (!(cond)) throw ::keraunos::TypeError(::keraunos::str(__VA_ARGS__)); \
  } while (0)

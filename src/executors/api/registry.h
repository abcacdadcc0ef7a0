// The extension system: executors are registered by an explicit call, looked up by name, and
// ordered by priority; the always-executors (ATen, last) are appended to every list.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "executors/api/executor.h"

namespace keraunos {

class ExecutorRegistry {
 public:
  // Registers an executor under its name; throws if the name is taken.
  Executor* add(std::shared_ptr<Executor> ex);
  Executor* find(const std::string& name) const;
  Executor& get(const std::string& name) const;  // throws listing the known names
  std::vector<std::string> names() const;

  // The ordered default list (highest priority first) and the always list.
  void set_defaults(const std::vector<std::string>& names);
  void add_default(const std::string& name, size_t position = 0);
  void remove_default(const std::string& name);
  void add_always(const std::string& name);
  std::vector<Executor*> defaults() const;
  std::vector<Executor*> always() const;

  // A priority list for one compilation: the named executors (or the defaults when empty), then the
  // always executors not already present.
  std::vector<const Executor*> resolve(const std::vector<std::string>& names) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Executor>> all_;
  std::vector<std::string> defaults_;
  std::vector<std::string> always_;
};

ExecutorRegistry& executor_registry();

}  // namespace keraunos

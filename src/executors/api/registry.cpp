// The extension system.
#include "executors/api/registry.h"

#include <algorithm>

namespace keraunos {

ExecutorRegistry& executor_registry() {
  static ExecutorRegistry r;
  return r;
}

Executor* ExecutorRegistry::add(std::shared_ptr<Executor> ex) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : all_) KERAUNOS_CHECK(e->name() != ex->name(), "an executor named '", ex->name(), "' is already registered");
  all_.push_back(std::move(ex));
  return all_.back().get();
}

Executor* ExecutorRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : all_)
    if (e->name() == name) return e.get();
  return nullptr;
}

std::vector<std::string> ExecutorRegistry::names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : all_) out.push_back(e->name());
  return out;
}

Executor& ExecutorRegistry::get(const std::string& name) const {
  Executor* e = find(name);
  if (!e) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(str("unknown executor '", name, "' (registered: ", known, ")"));
  }
  return *e;
}

void ExecutorRegistry::set_defaults(const std::vector<std::string>& names) {
  for (const auto& n : names) get(n);
  std::lock_guard<std::mutex> lock(mu_);
  defaults_ = names;
}

void ExecutorRegistry::add_default(const std::string& name, size_t position) {
  get(name);
  std::lock_guard<std::mutex> lock(mu_);
  defaults_.erase(std::remove(defaults_.begin(), defaults_.end(), name), defaults_.end());
  defaults_.insert(defaults_.begin() + static_cast<std::ptrdiff_t>(std::min(position, defaults_.size())), name);
}

void ExecutorRegistry::remove_default(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  defaults_.erase(std::remove(defaults_.begin(), defaults_.end(), name), defaults_.end());
}

void ExecutorRegistry::add_always(const std::string& name) {
  get(name);
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(always_.begin(), always_.end(), name) == always_.end()) always_.push_back(name);
}

std::vector<Executor*> ExecutorRegistry::defaults() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    names = defaults_;
  }
  std::vector<Executor*> out;
  for (const auto& n : names) out.push_back(&get(n));
  return out;
}

std::vector<Executor*> ExecutorRegistry::always() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    names = always_;
  }
  std::vector<Executor*> out;
  for (const auto& n : names) out.push_back(&get(n));
  return out;
}

std::vector<const Executor*> ExecutorRegistry::resolve(const std::vector<std::string>& names) const {
  std::vector<const Executor*> out;
  if (names.empty()) {
    for (Executor* e : defaults()) out.push_back(e);
  } else {
    for (const auto& n : names) out.push_back(&get(n));
  }
  for (Executor* e : always())
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  return out;
}

}  // namespace keraunos

#include "runtime/host_allocator.h"

#include <ATen/EmptyTensor.h>
#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <mutex>
#include <unordered_map>
#include <vector>

#include "support/env.h"
#include "support/error.h"

namespace keraunos {
namespace {

constexpr size_t kLarge = size_t{1} << 20;  // below this, c10's allocator (malloc reuses small blocks)
constexpr size_t kHuge = size_t{2} << 20;   // blocks are whole huge pages, aligned to one

struct Block {
  void* p;
  size_t bytes;
};

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

void* map_block(size_t bytes) {
  // Over-map by one huge page and trim, so the block starts on a huge-page boundary.
  void* raw = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = round_up(start, kHuge);
  if (aligned > start) munmap(raw, aligned - start);
  uintptr_t end = start + bytes + kHuge, used_end = aligned + bytes;
  if (end > used_end) munmap(reinterpret_cast<void*>(used_end), end - used_end);
  void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without transparent huge pages the block still works
#endif
  return p;
}

class HostAllocator final : public c10::Allocator {
 public:
  HostAllocator() {
    long long mb = 2048;
    if (auto v = env_string("KERAUNOS_HOST_POOL_MB")) {
      try {
        mb = std::stoll(*v);
      } catch (const std::exception&) {
        throw Error(str("KERAUNOS_HOST_POOL_MB=", *v, ": expected a number of MiB (0 turns the pool off)"));
      }
    }
    limit_ = mb > 0 ? static_cast<size_t>(mb) << 20 : 0;
  }

  c10::DataPtr allocate(size_t n) override {
    if (n < kLarge) return c10::GetCPUAllocator()->allocate(n);
    size_t bytes = round_up(n, kHuge);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        ++hits_;
      } else {
        ++misses_;
      }
      live_ += bytes;
    }
    if (!p) p = map_block(bytes);
    if (!p) {
      release_host_pool();  // the pool's blocks may be what stands in the way
      p = map_block(bytes);
    }
    if (!p) {
      std::lock_guard<std::mutex> lock(mu_);
      live_ -= bytes;
      throw Error(str("keraunos: out of host memory allocating ", n, " bytes for a kernel output"));
    }
    // c10 hands the deleter only the context: it carries the block and its size.
    return {p, new Block{p, bytes}, &HostAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

  static void release(void* ctx);

  void give_back(void* p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_ -= bytes;
      if (cached_ + bytes <= limit_) {
        free_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    munmap(p, bytes);
  }

  void release_all() {
    std::unordered_map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& [bytes, ps] : blocks)
      for (void* p : ps) munmap(p, bytes);
  }

  void set_limit(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      limit_ = bytes;
      if (cached_ <= limit_) return;
    }
    release_all();
  }

  HostPoolStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {hits_, misses_, cached_, live_, limit_};
  }

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0, live_ = 0, limit_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
};

HostAllocator& instance() {
  static auto* a = new HostAllocator();  // never destroyed: tensors may outlive static destructors
  return *a;
}

}  // namespace

void HostAllocator::release(void* ctx) {
  auto* b = static_cast<Block*>(ctx);
  instance().give_back(b->p, b->bytes);
  delete b;
}

c10::Allocator* host_allocator() { return &instance(); }

at::Tensor host_empty(c10::IntArrayRef shape, c10::ScalarType dtype) {
  return at::detail::empty_generic(shape, host_allocator(), c10::DispatchKeySet(c10::DispatchKey::CPU), dtype, std::nullopt);
}

HostPoolStats host_pool_stats() { return instance().stats(); }

void release_host_pool() { instance().release_all(); }

void set_host_pool_limit(uint64_t bytes) { instance().set_limit(bytes); }

}  // namespace keraunos

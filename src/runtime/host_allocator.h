// Host memory for the tensors keraunos' kernels produce.
//
// A fresh large CPU buffer costs more than the kernel that fills it: the kernel faults in every 4 KiB
// page, and the OS zeroes each one (on the project's machine, 33 ms for 128 MiB, against 7 ms for a
// softmax over it). This allocator (a) keeps freed large blocks in a pool, by size, so a function
// called again gets its buffers back without a fault, and (b) maps new large blocks with transparent
// huge pages requested, so a cold call faults 2 MiB at a time. Small requests go to c10's CPU
// allocator. The pool holds at most KERAUNOS_HOST_POOL_MB (default 2048; 0 turns pooling off);
// `release_host_pool()` hands everything it holds back to the OS.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Allocator.h>

#include <cstddef>
#include <cstdint>

namespace keraunos {

c10::Allocator* host_allocator();

// An uninitialized contiguous CPU tensor whose storage comes from host_allocator().
at::Tensor host_empty(c10::IntArrayRef shape, c10::ScalarType dtype);

struct HostPoolStats {
  uint64_t hits = 0;          // large requests served from the pool
  uint64_t misses = 0;        // large requests that mapped a new block
  uint64_t cached_bytes = 0;  // bytes held by the pool now
  uint64_t live_bytes = 0;    // bytes in large blocks handed out and not yet freed
  uint64_t limit_bytes = 0;
};
HostPoolStats host_pool_stats();

// Unmaps every block the pool holds.
void release_host_pool();

// Sets how many bytes the pool may hold (0: none; blocks beyond the limit are unmapped when freed).
void set_host_pool_limit(uint64_t bytes);

}  // namespace keraunos

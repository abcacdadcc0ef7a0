// Compiling generated C++ with the host compiler, and the kernel cache.
#include "jit/host_compiler.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "support/env.h"
#include "support/files.h"
#include "support/hash.h"

namespace keraunos::jit_compiler {
namespace {

std::string run_capture(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
    *status = -1;
    return "popen failed";
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  *status = pclose(p);
  return out;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct State {
  std::mutex mu;
  std::unordered_map<uint64_t, void*> loaded;  // key hash -> dlopen handle
  CacheStats stats;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

uint64_t CacheKey::hash() const {
  uint64_t h = hash_string(compiler);
  h = hash_combine(h, hash_string(compiler_version));
  for (const auto& f : flags) h = hash_combine(h, hash_string(f));
  h = hash_combine(h, hash_string(target));
  return hash_combine(h, source_hash);
}

std::string CacheKey::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash()));
  return buf;
}

std::string CacheKey::describe() const {
  std::string flags_s;
  for (const auto& f : flags) flags_s += (flags_s.empty() ? "" : " ") + f;
  char src[17];
  std::snprintf(src, sizeof src, "%016llx", static_cast<unsigned long long>(source_hash));
  return str("compiler: ", compiler, "\ncompiler version: ", compiler_version, "\nflags: ", flags_s, "\ntarget: ", target,
             "\nsource hash: ", src, "\nkey: ", hex(), "\n");
}

std::string CacheKey::diff(const CacheKey& o) const {
  std::string d;
  if (compiler != o.compiler) d += "compiler: " + compiler + " vs " + o.compiler + "\n";
  if (compiler_version != o.compiler_version) d += "compiler version: " + compiler_version + " vs " + o.compiler_version + "\n";
  if (flags != o.flags) d += "flags differ\n";
  if (target != o.target) d += "target differs (another CPU)\n";
  if (source_hash != o.source_hash) d += "source differs\n";
  return d.empty() ? "identical\n" : d;
}

std::string cache_dir() {
  if (auto d = env_string("KERAUNOS_CACHE_DIR"); d && !d->empty()) return *d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/keraunos";
}

const std::string& compiler_path() {
  static const std::string p = [] {
    if (auto c = env_string("KERAUNOS_CXX"); c && !c->empty()) return *c;
#ifdef KERAUNOS_BUILD_CXX
    if (::access(KERAUNOS_BUILD_CXX, X_OK) == 0) return std::string(KERAUNOS_BUILD_CXX);
#endif
    return std::string("c++");
  }();
  return p;
}

const std::string& compiler_version() {
  static const std::string v = [] {
    int st = 0;
    std::string out = run_capture(quote(compiler_path()) + " --version", &st);
    return st == 0 ? out.substr(0, out.find('\n')) : std::string();
  }();
  return v;
}

const std::string& cpu_arch() {
  static const std::string a = [] {
    auto e = env_string("KERAUNOS_CPU_ARCH");
    std::string v = e && !e->empty() ? *e : "native";
    for (char c : v)
      KERAUNOS_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.',
                     "keraunos: KERAUNOS_CPU_ARCH must be a -march value such as native, x86-64-v3 or skylake-avx512, got '", v, "'");
    return v;
  }();
  return a;
}

// The compiler's expansion of -march=<cpu_arch()>: the -march/-mtune it picked and every -m feature
// flag (read once per process from the driver's `-###` output; empty if the compiler does not say).
const std::string& native_target() {
  static const std::string t = [] {
    int st = 0;
    std::string out = run_capture(quote(compiler_path()) + " -march=" + cpu_arch() + " -### -x c++ -c /dev/null -o /dev/null", &st);
    std::string flags;
    for (size_t i = 0; i < out.size();) {
      size_t j = out.find_first_of(" \n", i);
      if (j == std::string::npos) j = out.size();
      std::string tok = out.substr(i, j - i);
      if (!tok.empty() && tok.front() == '"') tok = tok.substr(1, tok.size() >= 2 ? tok.size() - 2 : 0);
      if (tok.rfind("-m", 0) == 0) flags += (flags.empty() ? "" : " ") + tok;
      i = j + 1;
    }
    return flags;
  }();
  return t;
}

std::vector<std::string> default_flags() {
  return {"-O3", "-march=" + cpu_arch(), "-fno-math-errno", "-fopenmp", "-fPIC", "-shared", "-std=c++17", "-w", "-lmvec"};
}

namespace {

const char* kProbeSource =
#include "jit/cxx_runtime_probe.inc"
    ;

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}

// The file holding the C++ runtime this process (keraunos, torch) uses.
std::string own_cxx_runtime() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&std::cout), &info) == 0 || info.dli_fname == nullptr) return "?";
  return real_path(info.dli_fname);
}

// `subdir`: where under the cache directory the module lives; `count`: whether it counts in the
// kernel cache's statistics (the host-compiler probe lives apart and does not).
// Called with a module's path before it is loaded; throws to refuse it.
using BeforeLoad = std::function<void(const std::string& path)>;
CompiledModule compile_and_load_unchecked(const std::string& source, const std::string& symbol, const std::string& subdir, bool count,
                                          const BeforeLoad& before_load = {});

// The DT_NEEDED entries of a 64-bit ELF shared object (empty when it cannot be read as one).
std::vector<std::string> needed_libraries(const std::string& path) {
  const std::string data = read_file(path);
  auto read = [&](size_t off, auto& out) {
    if (off + sizeof(out) > data.size()) return false;
    std::memcpy(&out, data.data() + off, sizeof(out));
    return true;
  };
  Elf64_Ehdr eh;
  if (!read(0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return {};
  Elf64_Phdr dyn{};
  std::vector<Elf64_Phdr> loads;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read(eh.e_phoff + i * eh.e_phentsize, ph)) return {};
    if (ph.p_type == PT_DYNAMIC) dyn = ph;
    if (ph.p_type == PT_LOAD) loads.push_back(ph);
  }
  std::vector<uint64_t> name_offsets;
  uint64_t strtab = 0;
  for (size_t off = dyn.p_offset; off + sizeof(Elf64_Dyn) <= dyn.p_offset + dyn.p_filesz; off += sizeof(Elf64_Dyn)) {
    Elf64_Dyn d;
    if (!read(off, d) || d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_NEEDED) name_offsets.push_back(d.d_un.d_val);
    if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
  }
  size_t table = std::string::npos;
  for (const auto& ph : loads)
    if (strtab >= ph.p_vaddr && strtab < ph.p_vaddr + ph.p_filesz) table = ph.p_offset + (strtab - ph.p_vaddr);
  std::vector<std::string> out;
  for (uint64_t n : name_offsets)
    if (table != std::string::npos && table + n < data.size()) out.emplace_back(data.c_str() + table + n);
  return out;
}

// Empty when the host compiler is usable, else why not and what to do.
std::string probe_host_compiler() {
  const std::string who = str("the CPU fuser's host compiler '", compiler_path(), "'",
                              compiler_version().empty() ? std::string() : " (" + compiler_version() + ")");
  const std::string fix =
      "Set KERAUNOS_CXX to a C++ compiler that links the system libstdc++ dynamically (for example "
      "/usr/bin/g++), or leave 'fuser' out of executors=.";
  CompiledModule m;
  // The probe uses the C++ runtime: a module that does not name libstdc++ (or libc++) among its
  // libraries carries its own copy, and running it next to torch's can crash the process, so such a
  // module is refused before it is loaded.
  const std::string private_runtime = "carries its own copy of the C++ runtime";
  auto before_load = [&](const std::string& path) {
    for (const auto& lib : needed_libraries(path))
      if (lib.rfind("libstdc++.so", 0) == 0 || lib.rfind("libc++.so", 0) == 0) return;
    throw HostCompilerError(private_runtime);
  };
  try {
    m = compile_and_load_unchecked(kProbeSource, "keraunos_cxx_runtime_probe", "/probes", /*count=*/false, before_load);
  } catch (const HostCompilerError&) {
    return str("keraunos: ", who,
               " links its own copy of the C++ runtime into every kernel (libstdc++ linked statically), "
               "beside the one torch uses (",
               own_cxx_runtime(), "); such kernels crash next to torch. ", fix);
  } catch (const CompileError& e) {
    return str("keraunos: ", who, " cannot build kernels: compiling a probe failed.\n", e.log(), "\n", fix);
  } catch (const Error& e) {
    return str("keraunos: ", who, " builds kernels that do not load: ", e.what(), "\n", fix);
  }
  char buf[4096] = {0};
  auto probe = reinterpret_cast<int (*)(char*, int)>(m.symbol);
  if (probe(buf, sizeof buf) != 5050)
    return str("keraunos: ", who, " builds kernels that compute wrong results (a probe summed 1..100 wrongly). ", fix);
  const std::string out(buf);
  const size_t bar = out.find('|');
  const std::string formatted = out.substr(0, bar), where = bar == std::string::npos ? "?" : real_path(out.substr(bar + 1));
  const std::string ours = own_cxx_runtime();
  if (where == real_path(m.path))
    return str("keraunos: ", who,
               " links its own copy of the C++ runtime into every kernel (libstdc++ linked statically), "
               "beside the one torch uses (",
               ours, "); such kernels crash next to torch. ", fix);
  if (formatted != "probe 5050")
    return str("keraunos: ", who, " builds kernels whose C++ runtime misbehaves next to torch's (", ours, "): a probe formatted '",
               formatted, "' instead of 'probe 5050'. ", fix);
  if (where != ours)
    return str("keraunos: ", who, " builds kernels that use the C++ runtime ", where, ", but torch uses ", ours, ". ", fix);
  return {};
}

}  // namespace

void validate_host_compiler() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] { error = probe_host_compiler(); });
  if (!error.empty()) throw HostCompilerError(error);
}

CompiledModule compile_and_load(const std::string& source, const std::string& symbol) {
  validate_host_compiler();
  return compile_and_load_unchecked(source, symbol, "", /*count=*/true);
}

namespace {

CompiledModule compile_and_load_unchecked(const std::string& source, const std::string& symbol, const std::string& subdir, bool count,
                                          const BeforeLoad& before_load) {
  CompiledModule m;
  m.key.compiler = compiler_path();
  m.key.compiler_version = compiler_version();
  m.key.flags = default_flags();
  m.key.target = native_target();
  m.key.source_hash = hash_string(source);
  const uint64_t h = m.key.hash();
  State& st = state();
  const std::string dir = cache_dir() + subdir;
  m.path = dir + "/" + m.key.hex() + ".so";
  auto lookup = [&](void* handle) {
    void* fn = dlsym(handle, symbol.c_str());
    KERAUNOS_CHECK(fn != nullptr, "keraunos: ", m.path, " has no symbol ", symbol);
    return fn;
  };
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (auto it = st.loaded.find(h); it != st.loaded.end()) {
      if (count) ++st.stats.memory_hits;
      m.symbol = lookup(it->second);
      return m;
    }
  }
  // No lock while reading the disk cache or compiling: independent kernels compile in parallel.
  // Two threads compiling the same key write different temporary files and rename atomically.
  auto remember = [&](void* handle, bool disk) {
    std::lock_guard<std::mutex> lock(st.mu);
    if (count) ++(disk ? st.stats.disk_hits : st.stats.compiles);
    st.loaded.emplace(h, handle);
  };
  mkdirs(dir);
  const std::string meta_path = dir + "/" + m.key.hex() + ".meta";
  // A disk entry is trusted only when its recorded size and hash match the file.
  std::string so = read_file(m.path);
  std::string meta = read_file(meta_path);
  std::string expect = str(so.size(), " ", hash_string(so), "\n");
  if (!so.empty() && meta.rfind(expect, 0) == 0) {
    if (before_load) before_load(m.path);
    if (void* handle = dlopen(m.path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) {
      remember(handle, true);
      m.from_disk = true;
      m.symbol = lookup(handle);
      return m;
    }
  }
  if (!so.empty() || !meta.empty()) {
    std::lock_guard<std::mutex> lock(st.mu);
    if (count) ++st.stats.rebuilt_corrupt;
  }
  const std::string unique = std::to_string(::getpid()) + "." + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()));
  const std::string src_path = dir + "/" + m.key.hex() + "." + unique + ".cpp";
  write_atomic(src_path, source);
  const std::string tmp_so = m.path + ".tmp." + unique;
  std::string cmd = quote(compiler_path());
  for (const auto& f : m.key.flags) cmd += " " + f;
  cmd += " " + quote(src_path) + " -o " + quote(tmp_so);
  // Libraries go after the source on the command line.
  if (auto pos = cmd.find(" -lmvec"); pos != std::string::npos) cmd = cmd.substr(0, pos) + cmd.substr(pos + 7) + " -lmvec";
  int status = 0;
  std::string log = run_capture(cmd, &status);
  if (status != 0) {
    ::unlink(tmp_so.c_str());
    ::unlink(src_path.c_str());
    throw CompileError(str("keraunos: compiling a generated kernel failed: ", cmd), cmd + "\n" + log);
  }
  ::rename(src_path.c_str(), (dir + "/" + m.key.hex() + ".cpp").c_str());
  ::rename(tmp_so.c_str(), m.path.c_str());
  so = read_file(m.path);
  write_atomic(meta_path, str(so.size(), " ", hash_string(so), "\n", m.key.describe()));
  if (before_load) before_load(m.path);
  void* handle = dlopen(m.path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  KERAUNOS_CHECK(handle != nullptr, "keraunos: cannot load ", m.path, ": ", dlerror());
  remember(handle, false);
  m.symbol = lookup(handle);
  return m;
}

}  // namespace

CacheStats cache_stats() {
  std::lock_guard<std::mutex> lock(state().mu);
  return state().stats;
}

}  // namespace keraunos::jit_compiler

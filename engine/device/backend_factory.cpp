#include "engine/device/backend_factory.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/util/error.h"

namespace pagoda {

namespace {

using CudaFactory = Backend* (*)(const BackendOptions*, char*, size_t);
constexpr const char* kCudaLibrary = "libpagoda_cuda.so";

std::vector<std::filesystem::path> cuda_library_candidates() {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    dirs = {dir, dir / ".." / "lib", dir / ".." / "lib" / "pagoda"};
  }
#ifdef PAGODA_BUILD_LIB_DIR
  dirs.emplace_back(PAGODA_BUILD_LIB_DIR);  // running from the build tree
#endif
  std::vector<fs::path> out;
  for (const auto& d : dirs) out.push_back((d / kCudaLibrary).lexically_normal());
  return out;
}

// Opens the CUDA backend library and asks it for a backend; nullptr with `reason` on failure.
std::unique_ptr<Backend> try_cuda(const BackendOptions& options, std::string& reason) {
  void* handle = nullptr;
  std::string last_error;
  for (const auto& path : cuda_library_candidates()) {
    if (!std::filesystem::exists(path)) continue;
    // Kept open for the life of the process: the backend's code lives in it.
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) break;
    const char* e = dlerror();
    last_error = path.string() + ": " + (e ? e : "dlopen failed");
  }
  if (!handle) {
    reason = last_error.empty()
                 ? std::string(kCudaLibrary) + " was not found (this build has no CUDA backend)"
                 : "the CUDA backend library could not be loaded (" + last_error + ")";
    return nullptr;
  }
  auto factory = reinterpret_cast<CudaFactory>(dlsym(handle, "pagoda_cuda_create_backend"));
  if (!factory) {
    reason = std::string(kCudaLibrary) + " lacks pagoda_cuda_create_backend";
    return nullptr;
  }
  char err[512] = {0};
  Backend* backend = factory(&options, err, sizeof(err));
  if (!backend) {
    reason = err[0] ? std::string(err) : std::string("the CUDA backend found no usable GPU");
    return nullptr;
  }
  return std::unique_ptr<Backend>(backend);
}

}  // namespace

std::unique_ptr<Backend> create_backend(const std::string& kind, const BackendOptions& options,
                                        std::string* why) {
  auto say = [&](const std::string& s) {
    if (why) *why = s;
  };
  if (kind == "cpu") {
    say("Using the CPU backend, as requested.");
    return create_cpu_backend(options);
  }
  if (kind != "cuda" && kind != "auto") {
    throw InvalidArgument("unknown device '" + kind + "'; expected cpu, cuda or auto");
  }
  std::string reason;
  auto cuda = try_cuda(options, reason);
  if (cuda) {
    say("Using the CUDA backend on " + cuda->device_name() + ".");
    return cuda;
  }
  if (kind == "cuda") throw Error("CUDA backend unavailable: " + reason);
  say("Using the CPU backend because " + reason + ".");
  return create_cpu_backend(options);
}

}  // namespace pagoda

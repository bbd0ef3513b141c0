#pragma once
// Steering the fake NVML (tests/app/fake_nvml.cpp) from a test: dlopen() of the same path returns
// the very handle that pagoda::telemetry::Nvml opened, so these act on the library in use.
#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace pagoda::testing {

struct FakeNvml {
  explicit FakeNvml(const std::string& path = PAGODA_FAKE_NVML) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error(dlerror());
    bind(set_gpu_count, "pagoda_fake_nvml_set_gpu_count");
    bind(set_gpu, "pagoda_fake_nvml_set_gpu");
    bind(set_load, "pagoda_fake_nvml_set_load");
    bind(add_process, "pagoda_fake_nvml_add_process");
    bind(clear_processes, "pagoda_fake_nvml_clear_processes");
    bind(vanish, "pagoda_fake_nvml_vanish");
    bind(device_calls, "pagoda_fake_nvml_device_calls");
    bind(init_count, "pagoda_fake_nvml_init_count");
  }
  ~FakeNvml() { dlclose(handle); }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;

  void* handle = nullptr;
  void (*set_gpu_count)(unsigned) = nullptr;
  void (*set_gpu)(unsigned, const char*, unsigned long long) = nullptr;
  void (*set_load)(unsigned, unsigned, unsigned long long, unsigned, unsigned, unsigned) = nullptr;
  void (*add_process)(unsigned, unsigned, const char*, unsigned long long) = nullptr;
  void (*clear_processes)() = nullptr;
  void (*vanish)(int) = nullptr;
  long (*device_calls)() = nullptr;
  int (*init_count)() = nullptr;

 private:
  template <typename F>
  void bind(F& fn, const char* name) {
    fn = reinterpret_cast<F>(dlsym(handle, name));
    if (!fn) throw std::runtime_error(std::string("fake NVML lacks ") + name);
  }
};

}  // namespace pagoda::testing

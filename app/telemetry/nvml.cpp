#include "app/telemetry/nvml.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace pagoda::telemetry {
namespace {

// The subset of nvml.h that we use, declared from NVIDIA's documented ABI (values and layouts are
// stable across driver versions; versioned entry points carry a _v2/_v3 suffix).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;
constexpr nvmlReturn_t NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18;
constexpr nvmlReturn_t NVML_ERROR_UNKNOWN = 999;
constexpr int NVML_TEMPERATURE_GPU = 0;
constexpr int NVML_CLOCK_SM = 1;
constexpr int NVML_CLOCK_MEM = 2;
constexpr unsigned kNameBuffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned long long kValueNotAvailable = ~0ull;

struct nvmlUtilization_t {
  unsigned gpu;
  unsigned memory;
};
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct nvmlProcessInfo_t {  // the _v2 / _v3 layout
  unsigned pid;
  unsigned long long usedGpuMemory;
  unsigned gpuInstanceId;
  unsigned computeInstanceId;
};

using ProcessQuery = nvmlReturn_t (*)(nvmlDevice_t, unsigned*, nvmlProcessInfo_t*);

bool is_fatal(nvmlReturn_t code) {
  return code == NVML_ERROR_UNINITIALIZED || code == NVML_ERROR_DRIVER_NOT_LOADED ||
         code == NVML_ERROR_GPU_IS_LOST || code == NVML_ERROR_LIB_RM_VERSION_MISMATCH ||
         code == NVML_ERROR_UNKNOWN;
}

std::string proc_comm(unsigned pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace

struct Nvml::Api {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  const char* (*error_string)(nvmlReturn_t);
  nvmlReturn_t (*count)(unsigned*);
  nvmlReturn_t (*handle_by_index)(unsigned, nvmlDevice_t*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*);
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*);
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned*);
  ProcessQuery compute_processes;   // optional
  ProcessQuery graphics_processes;  // optional
  nvmlReturn_t (*process_name)(unsigned, char*, unsigned);  // optional
};

std::string Nvml::default_library() {
  const char* env = std::getenv("PAGODA_NVML_LIBRARY");
  return env && *env ? std::string(env) : std::string("libnvidia-ml.so.1");
}

Nvml::Nvml(std::string library) : library_(std::move(library)) {
  open();
}

Nvml::~Nvml() {
  close();
}

bool Nvml::reopen() {
  close();
  return open();
}

bool Nvml::open() {
  handle_ = dlopen(library_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* e = dlerror();
    error_ = "NVML could not be loaded (" + (e ? std::string(e) : library_) +
             "): no NVIDIA driver is installed on this computer";
    problem_ = Problem::NotInstalled;
    return false;
  }
  auto* api = new Api{};
  bool missing = false;
  std::string missing_name;
  auto need = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle_, name));
    if (!fn && !missing) missing = true, missing_name = name;
  };
  auto want = [&](auto& fn, std::initializer_list<const char*> names) {
    for (const char* name : names)
      if ((fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle_, name))))
        return;
  };
  need(api->init, "nvmlInit_v2");
  need(api->shutdown, "nvmlShutdown");
  need(api->error_string, "nvmlErrorString");
  need(api->count, "nvmlDeviceGetCount_v2");
  need(api->handle_by_index, "nvmlDeviceGetHandleByIndex_v2");
  need(api->name, "nvmlDeviceGetName");
  need(api->uuid, "nvmlDeviceGetUUID");
  need(api->utilization, "nvmlDeviceGetUtilizationRates");
  need(api->memory, "nvmlDeviceGetMemoryInfo");
  need(api->temperature, "nvmlDeviceGetTemperature");
  need(api->power, "nvmlDeviceGetPowerUsage");
  need(api->power_limit, "nvmlDeviceGetEnforcedPowerLimit");
  need(api->clock, "nvmlDeviceGetClockInfo");
  need(api->max_clock, "nvmlDeviceGetMaxClockInfo");
  want(api->compute_processes,
       {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"});
  want(api->graphics_processes,
       {"nvmlDeviceGetGraphicsRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v2"});
  want(api->process_name, {"nvmlSystemGetProcessName"});
  api_ = api;
  if (missing) {
    error_ = library_ + " lacks " + missing_name + " (the NVIDIA driver is too old)";
    problem_ = Problem::TooOld;
    close();
    return false;
  }
  const nvmlReturn_t rc = api_->init();
  if (rc != NVML_SUCCESS) {
    fail(Problem::InitFailed, "NVML did not start", rc);
    return false;
  }
  initialized_ = true;
  error_.clear();
  problem_ = Problem::None;
  return true;
}

void Nvml::close() {
  if (initialized_ && api_) api_->shutdown();
  initialized_ = false;
  delete api_;
  api_ = nullptr;
  if (handle_) dlclose(handle_);
  handle_ = nullptr;
}

bool Nvml::fail(Problem problem, const std::string& what, int code) {
  std::string reason = api_ && api_->error_string ? api_->error_string(code) : "";
  if (reason.empty()) reason = "error " + std::to_string(code);
  if (code == NVML_ERROR_DRIVER_NOT_LOADED) reason += ": the NVIDIA driver is not running";
  if (code == NVML_ERROR_GPU_IS_LOST) reason += ": the GPU fell off the bus or stopped answering";
  error_ = what + " (" + reason + ")";
  problem_ = problem;
  close();
  return false;
}

bool Nvml::sample(std::vector<GpuSample>& out) {
  out.clear();
  if (!initialized_) return false;
  unsigned count = 0;
  nvmlReturn_t rc = api_->count(&count);
  if (rc != NVML_SUCCESS) return fail(Problem::StoppedAnswering, "NVML stopped answering", rc);
  const auto self = static_cast<unsigned>(getpid());
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    rc = api_->handle_by_index(i, &dev);
    if (rc != NVML_SUCCESS) {
      if (is_fatal(rc)) return fail(Problem::StoppedAnswering, "NVML stopped answering", rc);
      continue;
    }
    GpuSample g;
    g.index = i;
    char text[kNameBuffer] = {0};
    if (api_->name(dev, text, sizeof text) == NVML_SUCCESS) g.name = text;
    if (api_->uuid(dev, text, sizeof text) == NVML_SUCCESS) g.uuid = text;
    nvmlMemory_t mem{};
    rc = api_->memory(dev, &mem);
    if (rc != NVML_SUCCESS && is_fatal(rc)) return fail(Problem::StoppedAnswering, "NVML stopped answering", rc);
    if (rc == NVML_SUCCESS) g.memory_used_bytes = mem.used, g.memory_total_bytes = mem.total;
    nvmlUtilization_t util{};
    rc = api_->utilization(dev, &util);
    if (rc != NVML_SUCCESS && is_fatal(rc)) return fail(Problem::StoppedAnswering, "NVML stopped answering", rc);
    if (rc == NVML_SUCCESS) {
      g.utilization_percent = util.gpu;
      g.memory_utilization_percent = util.memory;
    }
    unsigned v = 0;
    if (api_->temperature(dev, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS) g.temperature_c = v;
    if (api_->power(dev, &v) == NVML_SUCCESS) g.power_w = v / 1000.0;  // milliwatts
    if (api_->power_limit(dev, &v) == NVML_SUCCESS) g.power_limit_w = v / 1000.0;
    if (api_->clock(dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS) g.sm_clock_mhz = v;
    if (api_->max_clock(dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS) g.sm_clock_max_mhz = v;
    if (api_->clock(dev, NVML_CLOCK_MEM, &v) == NVML_SUCCESS) g.memory_clock_mhz = v;
    for (ProcessQuery query : {api_->compute_processes, api_->graphics_processes}) {
      if (!query) continue;
      std::vector<nvmlProcessInfo_t> infos(16);
      unsigned n = static_cast<unsigned>(infos.size());
      rc = query(dev, &n, infos.data());
      if (rc == NVML_ERROR_INSUFFICIENT_SIZE) {  // n now says how many there are
        infos.resize(n + 8);
        n = static_cast<unsigned>(infos.size());
        rc = query(dev, &n, infos.data());
      }
      if (rc != NVML_SUCCESS) continue;
      for (unsigned k = 0; k < n; ++k) {
        const nvmlProcessInfo_t& p = infos[k];
        auto it = std::find_if(g.processes.begin(), g.processes.end(),
                               [&](const GpuProcess& q) { return q.pid == p.pid; });
        if (it != g.processes.end()) continue;  // both a compute and a graphics context
        GpuProcess proc;
        proc.pid = p.pid;
        proc.is_self = p.pid == self;
        if (p.usedGpuMemory != kValueNotAvailable) proc.used_bytes = p.usedGpuMemory;
        char pname[256] = {0};
        if (api_->process_name && api_->process_name(p.pid, pname, sizeof pname) == NVML_SUCCESS)
          proc.name = pname;
        if (proc.name.empty()) proc.name = proc_comm(p.pid);
        g.processes.push_back(std::move(proc));
      }
    }
    std::stable_sort(g.processes.begin(), g.processes.end(),
                     [](const GpuProcess& a, const GpuProcess& b) {
                       return a.used_bytes.value_or(0) > b.used_bytes.value_or(0);
                     });
    out.push_back(std::move(g));
  }
  return true;
}

}  // namespace pagoda::telemetry

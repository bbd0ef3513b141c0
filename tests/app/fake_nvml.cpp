// A stand-in for libnvidia-ml.so.1: exports the NVML entry points that pagoda::telemetry::Nvml
// uses, with the real library's contracts (init reference count, UNINITIALIZED before init,
// INVALID_ARGUMENT for null pointers and bad handles, INSUFFICIENT_SIZE with the needed count).
// Tests and the screenshot tool load it through the same dlopen path (PAGODA_NVML_LIBRARY) and
// steer it with the pagoda_fake_nvml_* functions, e.g. to make the driver "vanish" mid-run.
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr int kSuccess = 0, kUninitialized = 1, kInvalidArgument = 2, kNotSupported = 3,
              kInsufficientSize = 7, kDriverNotLoaded = 9;

struct Process {
  unsigned pid;
  std::string name;
  unsigned long long bytes;
};

struct Gpu {
  std::string name;
  unsigned utilization = 0;
  unsigned memory_utilization = 0;
  unsigned long long total = 0;
  unsigned long long used = 0;
  unsigned temperature = 40;
  unsigned power_mw = 60000;
  unsigned power_limit_mw = 350000;
  unsigned sm_clock = 1410;
  unsigned mem_clock = 1593;
  std::vector<Process> processes;
};

struct ProcessInfo {  // nvmlProcessInfo_v2_t / _v3_t
  unsigned pid;
  unsigned long long usedGpuMemory;
  unsigned gpuInstanceId;
  unsigned computeInstanceId;
};

std::mutex g_mu;
Gpu fake_gpu() {
  Gpu g;
  g.name = "NVIDIA Fake GPU";
  g.total = 24ull << 30;
  g.used = 1ull << 30;
  return g;
}
std::vector<Gpu> g_gpus(1, fake_gpu());
int g_init_count = 0;
int g_vanished = 0;  // non-zero: every call answers this code
long g_calls = 0;

Gpu* device(void* handle) {
  for (Gpu& g : g_gpus)
    if (&g == handle) return &g;
  return nullptr;
}

// Common checks of a device query; returns the device or sets rc.
Gpu* checked(void* handle, const void* out, int& rc) {
  ++g_calls;
  if (g_vanished) return rc = g_vanished, nullptr;
  if (g_init_count == 0) return rc = kUninitialized, nullptr;
  Gpu* g = device(handle);
  if (!g || !out) return rc = kInvalidArgument, nullptr;
  rc = kSuccess;
  return g;
}

int copy_string(const std::string& s, char* out, unsigned length) {
  if (s.size() + 1 > length) return kInsufficientSize;
  std::memcpy(out, s.c_str(), s.size() + 1);
  return kSuccess;
}

int processes(void* handle, unsigned* count, ProcessInfo* infos, bool graphics) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, count, rc);
  if (!g) return rc;
  std::vector<const Process*> list;
  for (const Process& p : g->processes)
    if (graphics == (p.name == "Xorg")) list.push_back(&p);
  if (*count < list.size() || (!infos && !list.empty())) {
    *count = static_cast<unsigned>(list.size());
    return kInsufficientSize;
  }
  *count = static_cast<unsigned>(list.size());
  for (size_t i = 0; i < list.size(); ++i)
    infos[i] = {list[i]->pid, list[i]->bytes, 0xFFFFFFFFu, 0xFFFFFFFFu};
  return kSuccess;
}

}  // namespace

extern "C" {

// ---- NVML ----
int nvmlInit_v2() {
  std::lock_guard lock(g_mu);
  if (g_vanished) return kDriverNotLoaded;
  ++g_init_count;
  return kSuccess;
}

int nvmlShutdown() {
  std::lock_guard lock(g_mu);
  if (g_init_count == 0) return kUninitialized;
  --g_init_count;
  return kSuccess;
}

const char* nvmlErrorString(int code) {
  switch (code) {
    case kSuccess: return "Success";
    case kUninitialized: return "Uninitialized";
    case kInvalidArgument: return "Invalid Argument";
    case kNotSupported: return "Not Supported";
    case kInsufficientSize: return "Insufficient Size";
    case kDriverNotLoaded: return "Driver Not Loaded";
    case 15: return "GPU is lost";
    default: return "Unknown Error";
  }
}

int nvmlDeviceGetCount_v2(unsigned* count) {
  std::lock_guard lock(g_mu);
  ++g_calls;
  if (g_vanished) return g_vanished;
  if (g_init_count == 0) return kUninitialized;
  if (!count) return kInvalidArgument;
  *count = static_cast<unsigned>(g_gpus.size());
  return kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** handle) {
  std::lock_guard lock(g_mu);
  if (g_vanished) return g_vanished;
  if (g_init_count == 0) return kUninitialized;
  if (!handle || index >= g_gpus.size()) return kInvalidArgument;
  *handle = &g_gpus[index];
  return kSuccess;
}

int nvmlDeviceGetName(void* handle, char* name, unsigned length) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, name, rc);
  return g ? copy_string(g->name, name, length) : rc;
}

int nvmlDeviceGetUUID(void* handle, char* uuid, unsigned length) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, uuid, rc);
  return g ? copy_string("GPU-fake-" + std::to_string(g - g_gpus.data()), uuid, length) : rc;
}

struct Utilization {
  unsigned gpu, memory;
};
int nvmlDeviceGetUtilizationRates(void* handle, Utilization* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (g) *out = {g->utilization, g->memory_utilization};
  return rc;
}

struct Memory {
  unsigned long long total, free, used;
};
int nvmlDeviceGetMemoryInfo(void* handle, Memory* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (g) *out = {g->total, g->total - g->used, g->used};
  return rc;
}

int nvmlDeviceGetTemperature(void* handle, int sensor, unsigned* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (g && sensor != 0) return kInvalidArgument;
  if (g) *out = g->temperature;
  return rc;
}

int nvmlDeviceGetPowerUsage(void* handle, unsigned* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (g) *out = g->power_mw;
  return rc;
}

int nvmlDeviceGetEnforcedPowerLimit(void* handle, unsigned* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (g) *out = g->power_limit_mw;
  return rc;
}

int nvmlDeviceGetClockInfo(void* handle, int type, unsigned* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (!g) return rc;
  if (type == 1) return *out = g->sm_clock, kSuccess;
  if (type == 2) return *out = g->mem_clock, kSuccess;
  return kNotSupported;
}

int nvmlDeviceGetMaxClockInfo(void* handle, int type, unsigned* out) {
  std::lock_guard lock(g_mu);
  int rc;
  Gpu* g = checked(handle, out, rc);
  if (!g) return rc;
  if (type == 1) return *out = 1980, kSuccess;
  if (type == 2) return *out = 2619, kSuccess;
  return kNotSupported;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void* handle, unsigned* count, ProcessInfo* infos) {
  return processes(handle, count, infos, false);
}

int nvmlDeviceGetGraphicsRunningProcesses_v3(void* handle, unsigned* count, ProcessInfo* infos) {
  return processes(handle, count, infos, true);
}

int nvmlSystemGetProcessName(unsigned pid, char* name, unsigned length) {
  std::lock_guard lock(g_mu);
  if (g_vanished) return g_vanished;
  if (g_init_count == 0) return kUninitialized;
  if (!name) return kInvalidArgument;
  for (const Gpu& g : g_gpus)
    for (const Process& p : g.processes)
      if (p.pid == pid) return copy_string(p.name, name, length);
  return 6;  // NVML_ERROR_NOT_FOUND
}

// ---- control (not NVML) ----
void pagoda_fake_nvml_set_gpu_count(unsigned count) {
  std::lock_guard lock(g_mu);
  g_gpus.resize(count, fake_gpu());
}

void pagoda_fake_nvml_set_gpu(unsigned index, const char* name, unsigned long long total_bytes) {
  std::lock_guard lock(g_mu);
  if (index < g_gpus.size()) g_gpus[index].name = name, g_gpus[index].total = total_bytes;
}

// utilization in percent; power in watts; temperature in degrees C.
void pagoda_fake_nvml_set_load(unsigned index, unsigned utilization, unsigned long long used_bytes,
                               unsigned power_w, unsigned temperature_c, unsigned sm_clock_mhz) {
  std::lock_guard lock(g_mu);
  if (index >= g_gpus.size()) return;
  Gpu& g = g_gpus[index];
  g.utilization = utilization;
  g.memory_utilization = utilization / 2;
  g.used = used_bytes;
  g.power_mw = power_w * 1000;
  g.temperature = temperature_c;
  g.sm_clock = sm_clock_mhz;
}

// A process named "Xorg" is reported as a graphics process, every other one as compute.
void pagoda_fake_nvml_add_process(unsigned index, unsigned pid, const char* name,
                                  unsigned long long bytes) {
  std::lock_guard lock(g_mu);
  if (index < g_gpus.size()) g_gpus[index].processes.push_back({pid, name, bytes});
}

void pagoda_fake_nvml_clear_processes() {
  std::lock_guard lock(g_mu);
  for (Gpu& g : g_gpus) g.processes.clear();
}

// From now on every call fails with `code` (15: GPU is lost; 9: driver not loaded) and
// nvmlInit_v2 with "driver not loaded"; 0 brings the GPUs back.
void pagoda_fake_nvml_vanish(int code) {
  std::lock_guard lock(g_mu);
  g_vanished = code;
  if (code) g_init_count = 0;
}

long pagoda_fake_nvml_device_calls() {
  std::lock_guard lock(g_mu);
  return g_calls;
}

int pagoda_fake_nvml_init_count() {
  std::lock_guard lock(g_mu);
  return g_init_count;
}

}  // extern "C"

#pragma once
// GPU telemetry through NVML, opened at run time with dlopen (libnvidia-ml.so.1 comes with the
// NVIDIA driver, so a machine without one still runs everything else). Our own minimal
// declarations of the few NVML entry points we use live in nvml.cpp; the library path can be
// overridden (PAGODA_NVML_LIBRARY, or the constructor argument) so that tests load a fake.
// Threading: an Nvml object is used from one thread at a time (the telemetry worker); sampling
// makes blocking driver calls (a few milliseconds), never call it on the GUI thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pagoda::telemetry {

struct GpuProcess {
  uint32_t pid = 0;
  std::string name;                     // from NVML, else /proc/<pid>/comm, else empty
  std::optional<uint64_t> used_bytes;   // absent where the driver does not say (permissions)
  bool is_self = false;                 // this process (Pagoda itself)
};

// One GPU at one moment. Optional fields are absent where the GPU or driver does not report them.
struct GpuSample {
  unsigned index = 0;
  std::string name;
  std::string uuid;
  std::optional<double> utilization_percent;         // SM busy time
  std::optional<double> memory_utilization_percent;  // memory controller busy time
  uint64_t memory_used_bytes = 0;
  uint64_t memory_total_bytes = 0;
  std::optional<double> temperature_c;
  std::optional<double> power_w;
  std::optional<double> power_limit_w;
  std::optional<unsigned> sm_clock_mhz;
  std::optional<unsigned> sm_clock_max_mhz;
  std::optional<unsigned> memory_clock_mhz;
  std::vector<GpuProcess> processes;  // compute and graphics processes, largest first
};

class Nvml {
 public:
  // $PAGODA_NVML_LIBRARY when set, else "libnvidia-ml.so.1".
  static std::string default_library();

  // Opens and initialises NVML; check available() / error().
  explicit Nvml(std::string library = default_library());
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // Why NVML is not available, for a translated message; error() has the details (English).
  enum class Problem { None, NotInstalled, TooOld, InitFailed, StoppedAnswering };

  bool available() const { return initialized_; }
  Problem problem() const { return problem_; }
  // Why NVML is not available (library missing, no driver, GPU lost...), in plain words.
  const std::string& error() const { return error_; }
  const std::string& library() const { return library_; }

  // Samples every GPU. On a failure that makes the whole of NVML unusable (driver unloaded, GPU
  // lost, library gone) returns false, sets error() and shuts NVML down; reopen() tries again.
  bool sample(std::vector<GpuSample>& out);
  // Closes whatever is open and opens the library again.
  bool reopen();

 private:
  struct Api;
  bool open();
  void close();
  bool fail(Problem problem, const std::string& what, int code);

  std::string library_;
  void* handle_ = nullptr;
  Api* api_ = nullptr;
  bool initialized_ = false;
  std::string error_;
  Problem problem_ = Problem::None;
};

}  // namespace pagoda::telemetry

// bench_hub [LARGE_MiB [FILES [FILE_MiB]]]: loopback download throughput of the download queue
// against the fake hub (a program that prints measured figures, not a test). Two generated
// models: one large file (default 512 MiB) and many files (default 64 x 4 MiB), each fetched
// straight from the hub and through the hub's redirect to its CDN, end to end (HTTP, write,
// sha256 verification, rename into the library); and sha256 alone for comparison.
//
// The source uses only what the queue had before issue 14 unless HUB_BENCH_NEW is defined, so
// the same program measures the old client (docs/hub.md: before/after).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/app/fake_hub/fake_hub.h"
#include "app/hub/download_queue.h"
#include "app/hub/sha256.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void write_random(const fs::path& path, int64_t mib, uint64_t seed) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> buf(1 << 17);  // 1 MiB
  for (int64_t i = 0; i < mib; ++i) {
    for (auto& v : buf) v = rng();
    out.write(reinterpret_cast<const char*>(buf.data()),
              static_cast<std::streamsize>(buf.size() * 8));
  }
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Downloads model_id into a fresh library; returns seconds, or -1 on failure.
double download(pagoda::test::FakeHub& hub, const fs::path& work, const std::string& model_id,
                int files_per_model) {
  static int run = 0;
  fs::path library = work / ("library-" + std::to_string(run++));
  pagoda::hub::DownloadQueueOptions o;
  o.library_dir = library;
#ifdef HUB_BENCH_NEW
  if (files_per_model > 0) o.files_per_model = files_per_model;
#else
  (void)files_per_model;
#endif
  double s = -1;
  {
    pagoda::hub::DownloadQueue q(o);
    auto t0 = Clock::now();
    pagoda::hub::DownloadRequest r;
    r.model_id = model_id;
    r.endpoint = {pagoda::hub::HubKind::ModelScope, hub.url()};
    auto info = q.wait(q.enqueue(r));
    s = seconds_since(t0);
    if (info.state != pagoda::hub::DownloadState::Completed) {
      std::fprintf(stderr, "download of %s failed: %s\n", model_id.c_str(), info.error.c_str());
      s = -1;
    }
  }
  fs::remove_all(library);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t large_mib = argc > 1 ? std::atoll(argv[1]) : 512;
  const int files = argc > 2 ? std::atoi(argv[2]) : 64;
  const int64_t file_mib = argc > 3 ? std::atoll(argv[3]) : 4;
  fs::path work = fs::temp_directory_path() / ("pagoda-bench-hub-" + std::to_string(getpid()));
  fs::path one = work / "hub" / "bench" / "one-file";
  fs::path many = work / "hub" / "bench" / "many-files";
  fs::create_directories(one);
  fs::create_directories(many);
  write_random(one / "model.safetensors", large_mib, 1);
  std::ofstream(one / "config.json") << "{}";
  for (int i = 0; i < files; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", i + 1, files);
    write_random(many / name, file_mib, 100 + static_cast<uint64_t>(i));
  }
  std::ofstream(many / "config.json") << "{}";

  auto t0 = Clock::now();
  pagoda::hub::sha256_file(one / "model.safetensors");
  const double sha_s = seconds_since(t0);
  const double one_bytes = double(large_mib) * (1 << 20);
  const double many_bytes = double(files) * double(file_mib) * (1 << 20);

  pagoda::test::FakeHub hub(work / "hub");
  hub.start();
  {  // warm the fake hub's hash cache: its listing must not count in the download time
    pagoda::hub::HubClient c({pagoda::hub::HubKind::ModelScope, hub.url()});
    c.list_files("bench/one-file");
    c.list_files("bench/many-files");
  }
  std::printf("sha256 alone                      %7.0f MB/s\n", one_bytes / sha_s / 1e6);
  struct Mode {
    const char* name;
    bool redirect;
    int files_per_model;  // 0: the queue's default
  };
  std::vector<Mode> modes = {{"direct", false, 0}, {"via CDN redirect", true, 0}};
#ifdef HUB_BENCH_NEW
  modes.push_back({"via CDN, 1 file at a time", true, 1});
#endif
  for (const Mode& m : modes) {
    pagoda::test::FakeHubFaults f;
    f.redirect = m.redirect;
#ifdef HUB_BENCH_NEW
    f.redirect_to_cdn = m.redirect;  // the CDN listener on another host
#endif
    hub.set_faults(f);
    double a = download(hub, work, "bench/one-file", m.files_per_model);
    double b = download(hub, work, "bench/many-files", m.files_per_model);
    std::printf("%-27s one %lld MiB file: %7.0f MB/s (%.2f s) | %d x %lld MiB: %7.0f MB/s (%.2f s)\n",
                m.name, static_cast<long long>(large_mib), a > 0 ? one_bytes / a / 1e6 : 0.0, a,
                files, static_cast<long long>(file_mib), b > 0 ? many_bytes / b / 1e6 : 0.0, b);
  }
  fs::remove_all(work);
  return 0;
}

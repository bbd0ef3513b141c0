// bench_hub [MiB]: downloads a generated model of the given size (default 256 MiB) from the
// fake hub on loopback through the download queue, and prints MB/s: end to end (HTTP, disk,
// sha256 verification, rename) and sha256 alone.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "fake_hub.h"
#include "hub/download_queue.h"
#include "hub/sha256.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const int64_t mib = argc > 1 ? std::atoll(argv[1]) : 256;
  fs::path work = fs::temp_directory_path() / ("pagoda-bench-hub-" + std::to_string(getpid()));
  fs::path model = work / "hub" / "bench" / "big-model";
  fs::create_directories(model);
  {
    std::ofstream out(model / "model.safetensors", std::ios::binary);
    std::mt19937_64 rng(1);
    std::vector<uint64_t> buf(1 << 17);  // 1 MiB
    for (int64_t i = 0; i < mib; ++i) {
      for (auto& v : buf) v = rng();
      out.write(reinterpret_cast<const char*>(buf.data()),
                static_cast<std::streamsize>(buf.size() * 8));
    }
    std::ofstream(model / "config.json") << "{}";
  }
  const double bytes = double(mib) * (1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  std::string digest = pagoda::hub::sha256_file(model / "model.safetensors");
  double sha_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  pagoda::test::FakeHub hub(work / "hub");
  hub.start();
  hub.model_ids();
  // Warm the fake hub's hash cache so its listing does not count in the download time.
  {
    pagoda::hub::HubClient c({pagoda::hub::HubKind::ModelScope, hub.url()});
    c.list_files("bench/big-model");
  }
  pagoda::hub::DownloadQueueOptions o;
  o.library_dir = work / "library";
  pagoda::hub::DownloadQueue q(o);
  t0 = std::chrono::steady_clock::now();
  auto id = q.enqueue({"bench/big-model", {pagoda::hub::HubKind::ModelScope, hub.url()}, "", {}});
  auto info = q.wait(id);
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (info.state != pagoda::hub::DownloadState::Completed) {
    std::fprintf(stderr, "download failed: %s\n", info.error.c_str());
    fs::remove_all(work);
    return 1;
  }
  std::printf("model size            %lld MiB\n", static_cast<long long>(mib));
  std::printf("sha256 alone          %.0f MB/s\n", bytes / sha_s / 1e6);
  std::printf("download end to end   %.0f MB/s (%.2f s: loopback HTTP, write, sha256, rename)\n",
              bytes / total_s / 1e6, total_s);
  std::printf("download, excl. hash  ~%.0f MB/s (estimated: total minus the sha256 time)\n",
              bytes / std::max(1e-3, total_s - sha_s) / 1e6);
  fs::remove_all(work);
  return 0;
}

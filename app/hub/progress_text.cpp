#include "app/hub/progress_text.h"

#include <cstdio>

namespace pagoda::hub {

std::string format_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", b, units[u]);
  return buf;
}

std::string progress_line(const DownloadProgress& p, int width) {
  double frac = p.bytes_total > 0 ? double(p.bytes_done) / double(p.bytes_total) : 0;
  if (frac > 1) frac = 1;
  const int bar = 20;
  int filled = static_cast<int>(frac * bar);
  std::string line = "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "]";
  char buf[160];
  std::snprintf(buf, sizeof buf, " %3d%%  %s/%s  %s/s", static_cast<int>(frac * 100),
                format_bytes(double(p.bytes_done)).c_str(),
                p.bytes_total >= 0 ? format_bytes(double(p.bytes_total)).c_str() : "?",
                format_bytes(p.bytes_per_second).c_str());
  line += buf;
  if (p.eta_seconds >= 0) {
    long s = static_cast<long>(p.eta_seconds + 0.5);
    std::snprintf(buf, sizeof buf, "  ETA %ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    line += buf;
  }
  if (!p.current_file.empty()) line += "  " + p.current_file;
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(width));
  return line;
}

}  // namespace pagoda::hub

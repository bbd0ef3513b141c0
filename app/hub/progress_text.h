#pragma once
#include <string>

#include "app/hub/download_queue.h"

namespace pagoda::hub {

// "[#######.............]  35%  12.0/34.5 MiB  8.1 MiB/s  ETA 0:03  model.safetensors", width
// columns at most; for terminal progress bars.
std::string progress_line(const DownloadProgress& p, int width = 100);
std::string format_bytes(double bytes);  // "12.0 MiB"

}  // namespace pagoda::hub

#include "app/cli/cli_common.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <mutex>

#include "app/cli/command.h"
#include "app/hub/library.h"
#include "app/hub/progress_text.h"
#include "app/hub/resolve.h"

namespace pagoda::cli {

std::vector<int32_t> parse_id_list(const std::string& text) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    std::string part = text.substr(i, j - i);
    if (!part.empty()) {
      int32_t v = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (ec != std::errc() || p != part.data() + part.size())
        throw CLI::ValidationError("--ids", "not an integer: " + part);
      ids.push_back(v);
    }
    i = j + 1;
  }
  return ids;
}

std::filesystem::path library_folder(const std::string& dir) {
  return dir.empty() ? pagoda::hub::default_library_dir() : std::filesystem::path(dir);
}

void add_library_option(CLI::App* cmd, std::string& dir) {
  cmd->add_option("--dir", dir,
                  "Library folder (default: $PAGODA_LIBRARY or ~/.local/share/pagoda/models)");
}

void add_model_options(CLI::App* cmd, ModelSource& source) {
  cmd->add_option("--model", source.model,
                  "Model folder, or a hub id such as Qwen/Qwen2.5-0.5B-Instruct (downloaded "
                  "into the library first)")
      ->required();
  cmd->add_option("--hub", source.hub,
                  "modelscope (default), huggingface, or a URL (a mirror such as "
                  "https://hf-mirror.com; prefix ms+ for a ModelScope-compatible server)");
  cmd->add_option("--revision", source.revision, "Branch, tag or commit (default: the hub's)");
}

std::filesystem::path resolve_model_source(const ModelSource& source) {
  namespace hub = pagoda::hub;
  if (std::filesystem::is_directory(source.model)) return source.model;
  hub::ResolveOptions opt;
  opt.endpoint = hub::HubEndpoint::parse(source.hub);
  opt.revision = source.revision;
  opt.include = source.include;
  opt.library_dir = library_folder(source.library_dir);
  opt.update = source.update;
  opt.files_per_model = std::max(1, source.parallel);
  const auto existing = hub::DownloadQueue::model_folder(opt.library_dir, source.model,
                                                         source.revision);
  if (auto have = hub::inspect_model_folder(existing, opt.library_dir);
      have && have->complete && !source.update)
    return existing;

  const bool tty = isatty(STDERR_FILENO);
  auto out_mutex = std::make_shared<std::mutex>();
  auto last_len = std::make_shared<size_t>(0);
  auto last_decile = std::make_shared<int>(-1);
  if (!source.quiet) {
    opt.on_progress = [=](const std::string&, const hub::DownloadProgress& p) {
      std::lock_guard lock(*out_mutex);
      if (tty) {
        std::string line = hub::progress_line(p, 110);
        std::cerr << "\r" << line
                  << std::string(line.size() < *last_len ? *last_len - line.size() : 0, ' ')
                  << std::flush;
        *last_len = line.size();
      } else if (p.bytes_total > 0) {  // a log, not a terminal: one line per 10%
        int decile = static_cast<int>(10 * p.bytes_done / p.bytes_total);
        if (decile != *last_decile) {
          *last_decile = decile;
          std::cerr << hub::progress_line(p, 110) << "\n";
        }
      }
    };
    opt.on_state = [=](const hub::DownloadInfo& info) {
      std::lock_guard lock(*out_mutex);
      if (info.status_message.empty()) return;
      if (tty) std::cerr << "\r" << std::string(*last_len, ' ') << "\r";
      *last_len = 0;
      std::cerr << info.status_message << "\n";
    };
    std::cerr << "downloading " << source.model << " from " << opt.endpoint.base_url << " into "
              << opt.library_dir.string() << "\n";
  }
  auto folder = hub::resolve_model(source.model, opt);
  if (tty && !source.quiet) std::cerr << "\n";
  return folder;
}

}  // namespace pagoda::cli

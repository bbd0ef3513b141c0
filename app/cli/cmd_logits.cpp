// pagoda-cli logits --model DIR --ids 1,2,3 [--top K]: the raw logits of the last prompt position
// as {"top_ids":[...],"top_logits":[...],"logsumexp":x}, for comparing with a reference.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "engine/core/engine.h"
#include "engine/util/json.h"

namespace {

struct LogitsOptions {
  pagoda::cli::ModelSource source;
  std::string ids;
  std::string device = "auto";
  int top = 8;
};

void run_logits(const LogitsOptions& o) {
  auto ids = pagoda::cli::parse_id_list(o.ids);
  pagoda::EngineConfig config;
  config.model_dir = pagoda::cli::resolve_model_source(o.source);
  config.device = o.device;
  auto engine = pagoda::Engine::load(config);
  std::vector<float> logits = engine->prompt_logits(ids);

  const int k = std::clamp(o.top, 0, static_cast<int>(logits.size()));
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max_logit);

  pagoda::OrderedJson out;  // keys in the documented order
  out["top_ids"] = std::vector<int32_t>(order.begin(), order.begin() + k);
  std::vector<float> top_logits;
  for (int i = 0; i < k; ++i) top_logits.push_back(logits[order[i]]);
  out["top_logits"] = top_logits;
  out["logsumexp"] = max_logit + std::log(sum);
  std::cout << out.dump() << std::endl;
}

}  // namespace

namespace pagoda::cli {

void add_logits_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("logits", "Print the largest logits at the last prompt position");
  auto o = std::make_shared<LogitsOptions>();
  pagoda::cli::add_model_options(cmd, o->source);
  cmd->add_option("--ids", o->ids, "Prompt token ids, comma-separated")->required();
  cmd->add_option("--top", o->top, "How many of the largest logits to print")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->callback([o] { run_logits(*o); });
}

}  // namespace pagoda::cli

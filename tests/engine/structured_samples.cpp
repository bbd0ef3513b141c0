// structured_samples: loads a model once and generates, for each grammar of a JSON file and each
// seed, one constrained completion (temperature 1), all seeds of a grammar at once. Prints one
// JSON line per completion: {"case", "seed", "finish", "text", "tokens"}. The outputs are checked
// by check_structured_output.py with an independent validator (python3-jsonschema), never by
// the grammar code that produced them. Each case also runs one unconstrained request alongside,
// so that the engine's steps mix rows with and without masks.
//   structured_samples MODEL_DIR CASES_JSON SEEDS MAX_TOKENS
// CASES_JSON: [{"json_schema": {...}} | {"regex": "..."} | {"choice": [...]} | {"json_object": true}]
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "engine/core/engine.h"
#include "engine/util/json.h"

using namespace pagoda;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: structured_samples MODEL_DIR CASES_JSON SEEDS MAX_TOKENS\n";
    return 2;
  }
  const OrderedJson cases = read_ordered_json_file(argv[2]);  // schema key order kept
  const int seeds = std::stoi(argv[3]), max_tokens = std::stoi(argv[4]);
  EngineConfig config;
  config.model_dir = argv[1];
  config.device = "cpu";
  config.num_threads = 2;
  config.cpu_kv_cache_bytes = 256ull << 20;
  auto engine = Engine::load(config);
  const std::vector<int32_t> prompt = engine->tokenizer().encode("Output:");
  for (size_t c = 0; c < cases.size(); ++c) {
    const OrderedJson& k = cases[c];
    StructuredOutput so;
    if (k.contains("json_schema")) {
      so = {StructuredOutput::Kind::json_schema, k["json_schema"].dump(), {}};
    } else if (k.contains("regex")) {
      so = {StructuredOutput::Kind::regex, k["regex"].get<std::string>(), {}};
    } else if (k.contains("choice")) {
      so = {StructuredOutput::Kind::choice, "", k["choice"].get<std::vector<std::string>>()};
    } else {
      so = {StructuredOutput::Kind::json_object, "", {}};
    }
    std::mutex mu;
    std::condition_variable cv;
    int done = 0;
    std::vector<std::string> texts(seeds);
    std::vector<std::string> finish(seeds), errors(seeds);
    std::vector<int> tokens(seeds, 0);
    for (int s = 0; s < seeds; ++s) {
      SamplingRequest r;
      r.temperature = 1.0f;
      r.seed = static_cast<uint64_t>(s);
      r.max_tokens = max_tokens;
      r.structured_output = so;
      auto params = SamplingParams::with_defaults({}, r);
      engine->add_request("c" + std::to_string(c) + "-" + std::to_string(s), prompt, params,
                          [&, s](const RequestOutput& out) {
                            std::lock_guard lock(mu);
                            texts[s] += out.text_delta;
                            tokens[s] += static_cast<int>(out.token_ids.size());
                            if (out.finish == FinishReason::None) return;
                            finish[s] = finish_reason_name(out.finish);
                            errors[s] = out.error;
                            ++done;
                            cv.notify_all();
                          });
    }
    // An unconstrained request in the same batches: rows with and without masks side by side
    // in the pipelined step (masks filled while the forward pass runs), its output unchecked.
    SamplingRequest free_request;
    free_request.temperature = 1.0f;
    free_request.seed = 7;
    free_request.max_tokens = max_tokens / 4;
    free_request.ignore_eos = true;
    engine->add_request("c" + std::to_string(c) + "-free", prompt,
                        SamplingParams::with_defaults({}, free_request),
                        [&](const RequestOutput& out) {
                          if (out.finish == FinishReason::None) return;
                          std::lock_guard lock(mu);
                          ++done;
                          cv.notify_all();
                        });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == seeds + 1; });
    for (int s = 0; s < seeds; ++s)
      std::cout << Json{{"case", c},          {"seed", s},     {"finish", finish[s]},
                        {"error", errors[s]}, {"text", texts[s]}, {"tokens", tokens[s]}}
                       .dump()
                << "\n";
  }
  return 0;
}

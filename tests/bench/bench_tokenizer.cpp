// Encoding speed: the golden corpus repeated to about 10 MB, and its Chinese lines repeated to
// about 10 MB, encoded in one call per tokenizer (first pass: cold word cache; second: warm).
// Usage: bench_tokenizer [MB [TESTDATA_DIR]]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/tokenizer/tokenizer.h"
#include "engine/util/json.h"

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string repeat_to(const std::string& unit, size_t bytes) {
  std::string text;
  text.reserve(bytes + unit.size());
  while (text.size() < bytes) text += unit;
  return text;
}

bool has_cjk(const std::string& s) {
  // U+4E00..U+9FFF start with bytes E4..E9 in UTF-8.
  for (unsigned char c : s) {
    if (c >= 0xE4 && c <= 0xE9) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path data = argc > 2 ? fs::path(argv[2]) : fs::path(PAGODA_TEST_DATA);
  size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10;
  pagoda::Json corpus = pagoda::read_json_file(data / "golden/tokenizer-corpus.json");
  std::string mixed, chinese;
  for (const auto& line : corpus) {
    std::string text = line.get<std::string>();
    mixed += text + "\n";
    if (has_cjk(text)) chinese += text + "\n";
  }
  const std::pair<const char*, std::string> texts[] = {
      {"corpus", repeat_to(mixed, megabytes << 20)},
      {"chinese", repeat_to(chinese, megabytes << 20)}};
  const char* folders[] = {"tokenizers/qwen3", "tokenizers/llama3", "tokenizers/mistral",
                           "tokenizers/spm-tiny", "models/demo-chat"};
  std::printf("%-20s %-8s %7s %10s %10s %10s %10s\n", "tokenizer", "text", "MB", "load s",
              "cold MB/s", "warm MB/s", "tokens");
  for (const char* folder : folders) {
    auto start = std::chrono::steady_clock::now();
    auto tok = pagoda::Tokenizer::from_dir(data / folder);
    double load = seconds_since(start);
    for (const auto& [name, text] : texts) {
      double mb = static_cast<double>(text.size()) / (1 << 20);
      start = std::chrono::steady_clock::now();
      size_t tokens = tok->encode(text).size();
      double cold = seconds_since(start);
      start = std::chrono::steady_clock::now();
      tok->encode(text);
      double warm = seconds_since(start);
      std::printf("%-20s %-8s %7.1f %10.2f %10.2f %10.2f %10zu\n", folder, name, mb, load,
                  mb / cold, mb / warm, tokens);
      std::fflush(stdout);
    }
  }
  return 0;
}

#pragma once
// What the tests that read the fixture tree (PAGODA_TEST_DATA) share: the fixture models that
// have golden logits, and reading a whole file. No GoogleTest, no state: any thread.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace pagoda::testing {

// The fixture models with transformers goldens (data/fixtures/golden): the plain checkpoints,
// then the quantized ones, checked against transformers on their dequantized weights.
inline const std::vector<std::string> kGoldenModels = {"tiny-qwen2",
                                                       "tiny-qwen3",
                                                       "tiny-llama3",
                                                       "tiny-mistral",
                                                       "tiny-yi-spm",
                                                       "tiny-qwen2-awq",
                                                       "tiny-qwen2-gptq4",
                                                       "tiny-qwen2-gptq8",
                                                       "tiny-qwen3-awq",
                                                       "tiny-qwen3-fp8",
                                                       "tiny-qwen3-gptq8-actorder",
                                                       "tiny-llama3-gptq4-actorder",
                                                       "tiny-llama3-gptq4-v2",
                                                       "tiny-llama3-awq",
                                                       "tiny-llama3-fp8-tensor"};

// The bytes of a file; empty when it cannot be read.
inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace pagoda::testing

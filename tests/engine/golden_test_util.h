#pragma once
// What the golden-file tests share: the fixture tree, reading a .jsonl golden, and running the built pagoda-cli
// (PAGODA_CLI) on a stdin text to get its stdout lines. Header-only; any thread, but run_cli's
// temporary file is named by process id, so one run_cli at a time per process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pagoda::testing {

// One parsed JSON value (Json or OrderedJson) per non-empty line.
template <typename JsonT>
std::vector<JsonT> read_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<JsonT> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(JsonT::parse(line));
  return lines;
}

#ifdef PAGODA_TEST_DATA
inline const std::filesystem::path kData = PAGODA_TEST_DATA;  // the fixture tree

// golden/<name>.jsonl (e.g. "tokenizer-qwen3"); a missing or empty golden fails the test.
template <typename JsonT>
std::vector<JsonT> read_golden(const std::string& name) {
  std::vector<JsonT> lines = read_jsonl<JsonT>(kData / "golden" / (name + ".jsonl"));
  EXPECT_FALSE(lines.empty()) << name;
  return lines;
}
#endif

#ifdef PAGODA_CLI
// Runs `pagoda-cli <command> --model <model>` with the given stdin; returns its stdout lines and
// sets its exit status. Its output must end with a newline.
inline std::vector<std::string> run_cli(const std::string& command,
                                        const std::filesystem::path& model,
                                        const std::string& input, int& status) {
  const std::filesystem::path in_file =
      std::filesystem::temp_directory_path() /
      ("pagoda_" + command + "_" + std::to_string(getpid()) + ".txt");
  std::ofstream(in_file, std::ios::binary) << input;
  const std::string shell = std::string("'") + PAGODA_CLI + "' " + command + " --model '" +
                            model.string() + "' < '" + in_file.string() + "'";
  FILE* pipe = popen(shell.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string output;
  char buffer[65536];
  for (size_t n; pipe && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  status = pipe ? pclose(pipe) : -1;
  std::filesystem::remove(in_file);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = output.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(output.substr(start, end - start));
  EXPECT_EQ(start, output.size()) << "output must end with a newline";
  return lines;
}

// run_cli on one request per line: exits 0 and answers each with one line.
inline std::vector<std::string> run_cli_lines(const std::string& command,
                                              const std::filesystem::path& model,
                                              const std::string& input, size_t requests) {
  int status = -1;
  std::vector<std::string> lines = run_cli(command, model, input, status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(lines.size(), requests);
  lines.resize(std::min(lines.size(), requests));
  return lines;
}
#endif

}  // namespace pagoda::testing

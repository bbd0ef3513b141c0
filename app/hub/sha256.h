#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace pagoda::hub {

// Streaming SHA-256 (OpenSSL EVP); hex() finishes it.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex();  // lowercase, 64 characters

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hash of a whole file; should_stop() is polled between chunks (returns "" when stopped).
// Throws pagoda::Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path,
                        const std::function<bool()>& should_stop = {});

}  // namespace pagoda::hub

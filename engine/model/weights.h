#pragma once
// Safetensors weights, memory-mapped: a single model.safetensors or shards listed in
// model.safetensors.index.json. Tensors are views into the maps (no copies).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/model/dtype.h"
#include "engine/util/mapped_file.h"

namespace pagoda {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t nbytes = 0;
  const std::filesystem::path* file = nullptr;  // the shard it lives in

  int64_t numel() const;
  // Widens F32/F16/BF16 to float32 into out (size numel()).
  void to_float(std::span<float> out) const;
};

// One parsed .safetensors file. Validates the header (size limit, JSON, offsets within the file,
// shapes matching byte counts) and throws pagoda::Error naming the file and tensor.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  // Tensor views point into this object: it stays where it was built.
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::filesystem::path& path() const { return map_.path(); }

 private:
  MappedFile map_;
  std::map<std::string, TensorView> tensors_;
};

class WeightStore {
 public:
  // Opens model.safetensors.index.json shards, or every *.safetensors in dir.
  static WeightStore open(const std::filesystem::path& dir);
  const TensorView* find(const std::string& name) const;
  // Throws pagoda::Error "<dir>: missing tensor <name>" or a shape mismatch naming the file.
  const TensorView& get(const std::string& name,
                        std::initializer_list<int64_t> expected_shape = {}) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }
  std::vector<std::string> names() const;
  size_t total_bytes() const;

  // Adds a tensor held in memory (benchmarks and tests build models without files). Throws
  // pagoda::Error when the name exists or data does not match dtype and shape.
  void add_owned(const std::string& name, DType dtype, std::vector<int64_t> shape,
                 std::vector<std::byte> data);

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
  std::map<std::string, std::unique_ptr<std::pair<TensorView, std::vector<std::byte>>>> owned_;
};

}  // namespace pagoda

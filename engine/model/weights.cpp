#include "engine/model/weights.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "engine/util/error.h"
#include "engine/util/json.h"

namespace pagoda {

namespace {

// A header above this is not a real checkpoint (the largest real ones are a few MB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"I32", DType::I32},
      {"I64", DType::I64}, {"U8", DType::U8},   {"I8", DType::I8},     {"BOOL", DType::Bool},
      {"F64", DType::F64}, {"I16", DType::I16}, {"F8_E4M3", DType::F8E4M3}};
  for (const auto& [name, t] : kNames) {
    if (s == name) {
      out = t;
      return true;
    }
  }
  return false;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// numel * element size, or false on overflow.
bool byte_count(const std::vector<int64_t>& shape, size_t element_size, uint64_t& out) {
  uint64_t n = element_size;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
  }
  out = n;
  return true;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void TensorView::to_float(std::span<float> out) const {
  const size_t n = static_cast<size_t>(numel());
  if (out.size() != n) {
    throw Error("tensor " + name + ": output holds " + std::to_string(out.size()) +
                " floats, tensor has " + std::to_string(n));
  }
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), data, n * 4);
      return;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = bf16_to_float(v);
      }
      return;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = f16_to_float(v);
      }
      return;
    default:
      throw Error((file ? file->string() + ": " : std::string()) + "tensor " + name +
                  " has dtype " + std::string(dtype_name(dtype)) + "; expected F32, F16 or BF16");
  }
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : map_(path) {
  const std::string file = path.string();
  auto fail = [&](const std::string& what) -> void { throw Error(file + ": " + what); };
  const size_t size = map_.size();
  if (size < 8) fail("not a safetensors file (shorter than its 8-byte header length)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i)
    header_len = (header_len << 8) | std::to_integer<uint8_t>(map_.data()[i]);
  if (header_len > kMaxHeaderBytes) {
    fail("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  }
  if (header_len > size - 8) {
    fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
         std::to_string(size) + " bytes)");
  }
  const char* header = reinterpret_cast<const char*>(map_.data() + 8);
  Json j;
  try {
    j = Json::parse(header, header + header_len);
  } catch (const Json::exception& e) {
    fail(std::string("invalid header JSON: ") + e.what());
  }
  if (!j.is_object()) fail("header is not a JSON object");

  const std::byte* data_start = map_.data() + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // begin, end, for the overlap check
  std::vector<std::string> range_names;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") continue;
    auto bad = [&](const std::string& what) { fail("tensor " + name + ": " + what); };
    const Json& t = it.value();
    if (!t.is_object()) bad("entry is not an object");
    auto dt = t.find("dtype");
    auto sh = t.find("shape");
    auto off = t.find("data_offsets");
    if (dt == t.end() || !dt->is_string()) bad("missing or invalid 'dtype'");
    if (sh == t.end() || !sh->is_array()) bad("missing or invalid 'shape'");
    if (off == t.end() || !off->is_array() || off->size() != 2) {
      bad("missing or invalid 'data_offsets' (expected [begin, end])");
    }
    TensorView view;
    view.name = name;
    if (!parse_dtype(dt->get<std::string>(), view.dtype)) {
      bad("unsupported dtype '" + dt->get<std::string>() + "'");
    }
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (1ull << 40)) {
        bad("shape must be a list of non-negative integers");
      }
      view.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) {
      bad("data_offsets must be non-negative integers");
    }
    uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
          "] fall outside the data section (" + std::to_string(data_size) + " bytes)");
    }
    uint64_t expected;
    if (!byte_count(view.shape, dtype_size(view.dtype), expected) || expected != end - begin) {
      bad("shape " + shape_string(view.shape) + " of " + std::string(dtype_name(view.dtype)) +
          " does not match its " + std::to_string(end - begin) + " bytes");
    }
    view.data = data_start + begin;
    view.nbytes = end - begin;
    view.file = &map_.path();
    ranges.emplace_back(begin, end);
    range_names.push_back(name);
    tensors_.emplace(name, std::move(view));
  }
  std::vector<size_t> order(ranges.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranges[a] < ranges[b]; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = ranges[order[k - 1]];
    const auto& cur = ranges[order[k]];
    if (cur.first < prev.second && cur.first != cur.second && prev.first != prev.second) {
      fail("tensors " + range_names[order[k - 1]] + " and " + range_names[order[k]] +
           " overlap in the data section");
    }
  }
}

WeightStore WeightStore::open(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  WeightStore store;
  store.dir_ = dir;
  std::vector<fs::path> shards;
  auto index_path = dir / "model.safetensors.index.json";
  // Like transformers, a single model.safetensors wins over an index.
  if (fs::exists(dir / "model.safetensors")) {
    shards.push_back(dir / "model.safetensors");
  } else if (fs::exists(index_path)) {
    Json index = read_json_file(index_path);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      throw Error(index_path.string() + ": missing 'weight_map' object");
    }
    std::set<std::string> names;
    for (auto& [tensor, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) {
        throw Error(index_path.string() + ": weight_map entry for " + tensor +
                    " is not a file name");
      }
      fs::path p(shard.get<std::string>());
      if (p.empty() || p.has_parent_path() || p.is_absolute()) {
        throw Error(index_path.string() + ": weight_map entry for " + tensor +
                    " is not a file name in the model folder: " + p.string());
      }
      names.insert(p.string());
    }
    for (const auto& n : names) shards.push_back(dir / n);
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".safetensors") shards.push_back(e.path());
    }
    if (ec) throw Error("cannot list " + dir.string() + ": " + ec.message());
    std::sort(shards.begin(), shards.end());
  }
  if (shards.empty()) throw Error(dir.string() + ": no *.safetensors weights found");
  for (const auto& p : shards) {
    if (!fs::exists(p))
      throw Error(dir.string() + ": missing weight shard " + p.filename().string());
    store.files_.push_back(std::make_unique<SafetensorsFile>(p));
    for (const auto& [name, view] : store.files_.back()->tensors()) {
      auto [it, inserted] = store.index_.emplace(name, &view);
      if (!inserted) {
        throw Error(p.string() + ": tensor " + name + " also appears in " +
                    it->second->file->string());
      }
    }
  }
  return store;
}

const TensorView* WeightStore::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& WeightStore::get(const std::string& name,
                                   std::initializer_list<int64_t> expected_shape) const {
  const TensorView* t = find(name);
  if (!t) throw Error(dir_.string() + ": missing tensor " + name);
  if (expected_shape.size() != 0 &&
      !std::equal(t->shape.begin(), t->shape.end(), expected_shape.begin(), expected_shape.end())) {
    throw Error((t->file ? t->file->string() : dir_.string()) + ": tensor " + name + " has shape " +
                shape_string(t->shape) + ", expected " +
                shape_string(std::vector<int64_t>(expected_shape)));
  }
  return *t;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, _] : index_) out.push_back(name);
  return out;
}

size_t WeightStore::total_bytes() const {
  size_t n = 0;
  for (const auto& [_, view] : index_) n += view->nbytes;
  return n;
}

void WeightStore::add_owned(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            std::vector<std::byte> data) {
  if (index_.count(name)) throw Error("tensor " + name + " already exists");
  uint64_t expected;
  if (!byte_count(shape, dtype_size(dtype), expected) || expected != data.size()) {
    throw Error("tensor " + name + ": shape " + shape_string(shape) + " does not match its " +
                std::to_string(data.size()) + " bytes");
  }
  auto entry = std::make_unique<std::pair<TensorView, std::vector<std::byte>>>();
  entry->second = std::move(data);
  entry->first.name = name;
  entry->first.dtype = dtype;
  entry->first.shape = std::move(shape);
  entry->first.data = entry->second.data();
  entry->first.nbytes = entry->second.size();
  index_[name] = &entry->first;
  owned_[name] = std::move(entry);
}

}  // namespace pagoda

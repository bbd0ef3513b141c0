#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pagoda {

enum class DType : uint8_t { F32, F16, BF16, I32, I64, U8, I8, Bool, F64, I16, F8E4M3 };

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);  // safetensors spelling: "F32", "BF16", ...

inline float bf16_to_float(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
float f16_to_float(uint16_t v);
uint16_t float_to_bf16(float f);  // round to nearest even
uint16_t float_to_f16(float f);
float fp8_e4m3_to_float(uint8_t v);  // e4m3fn: no infinities, 0x7F/0xFF are NaN

}  // namespace pagoda

#include "engine/model/dtype.h"

#include <cmath>
#include <limits>

namespace pagoda {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
      return 2;
    case DType::U8:
    case DType::I8:
    case DType::Bool:
    case DType::F8E4M3:
      return 1;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I32:
      return "I32";
    case DType::I64:
      return "I64";
    case DType::U8:
      return "U8";
    case DType::I8:
      return "I8";
    case DType::Bool:
      return "BOOL";
    case DType::F64:
      return "F64";
    case DType::I16:
      return "I16";
    case DType::F8E4M3:
      return "F8_E4M3";
  }
  return "?";
}

float f16_to_float(uint16_t v) {
  uint32_t sign = static_cast<uint32_t>(v & 0x8000) << 16;
  uint32_t exponent = (v >> 10) & 0x1F;
  uint32_t mantissa = v & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: exact in float as mantissa * 2^-24.
    float f = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -f : f;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float fp8_e4m3_to_float(uint8_t v) {
  const int exponent = (v >> 3) & 0xF, mantissa = v & 7;
  float f;
  if (exponent == 0xF && mantissa == 7) {
    f = std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {
    f = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: mantissa/8 * 2^-6
  } else {
    f = std::ldexp(1.0f + mantissa / 8.0f, exponent - 7);
  }
  return (v & 0x80) ? -f : f;
}

uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0) {
    return static_cast<uint16_t>((bits >> 16) | 0x40);  // keep NaN a (quiet) NaN
  }
  uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

uint16_t float_to_f16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t abs_bits = bits & 0x7FFFFFFFu;
  if (abs_bits >= 0x7F800000u) {  // inf or nan
    return sign | 0x7C00 | (abs_bits > 0x7F800000u ? 0x200 : 0);
  }
  if (abs_bits >= 0x477FF000u) return sign | 0x7C00;  // rounds to >= 65520: overflow to inf
  int32_t exponent = static_cast<int32_t>(abs_bits >> 23) - 127;
  uint32_t mantissa = (abs_bits & 0x7FFFFFu) | 0x800000u;
  if (exponent < -24) {
    // Below half the smallest subnormal (2^-25 rounds to even = 0).
    if (exponent == -25 && (abs_bits & 0x7FFFFFu) != 0) return sign | 1;
    return sign;
  }
  int shift;
  uint32_t base;
  if (exponent < -14) {  // subnormal half
    shift = 13 + (-14 - exponent);
    base = 0;
  } else {
    shift = 13;
    base = static_cast<uint32_t>(exponent + 15) << 10;
    mantissa &= 0x7FFFFFu;
  }
  uint32_t value = mantissa >> shift;
  uint32_t remainder = mantissa & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (value & 1u))) ++value;
  return static_cast<uint16_t>(sign | (base + value));  // carry into the exponent is correct
}

}  // namespace pagoda

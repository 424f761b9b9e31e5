#include "bosh_libvirt_cpi/media/crc32.h"

#include <array>
#include <bit>
#include <cstring>

namespace cpi::media {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of byte b followed by
// k zero bytes, so eight table lookups consume eight bytes at once.
constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Polynomials over GF(2) modulo the CRC polynomial, in the same reflected bit order as the CRC
// register (x^0 is bit 31). As in zlib's crc32_combine.
constexpr uint32_t MultiplyModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if ((a & m) != 0) product ^= b;
    b = (b & 1) != 0 ? (b >> 1) ^ 0xedb88320u : b >> 1;
  }
  return product;
}

// kPowers[k] = x^(2^k) mod P.
constexpr std::array<uint32_t, 64> MakePowers() {
  std::array<uint32_t, 64> p{};
  p[0] = 1u << 30;  // x^1
  for (size_t k = 1; k < p.size(); ++k) p[k] = MultiplyModP(p[k - 1], p[k - 1]);
  return p;
}

constexpr std::array<uint32_t, 64> kPowers = MakePowers();

}  // namespace

uint32_t Crc32(uint32_t crc, const void* data, size_t size) {
  static_assert(std::endian::native == std::endian::little, "slicing-by-8 assumes little-endian");
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  while (size >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
          kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) crc = kTables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t Crc32Zeros(uint32_t crc, uint64_t size) {
  // n zero bytes multiply the (uninverted) register by x^(8n) mod P.
  uint32_t reg = ~crc;
  for (size_t k = 3; size != 0; size >>= 1, ++k) {
    if ((size & 1) != 0) reg = MultiplyModP(kPowers[k % kPowers.size()], reg);
  }
  return ~reg;
}

bool AllZero(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  constexpr size_t kStride = 256;
  while (size >= kStride) {
    uint64_t acc = 0;
    for (size_t i = 0; i < kStride; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      acc |= word;
    }
    if (acc != 0) return false;
    p += kStride;
    size -= kStride;
  }
  while (size-- > 0) {
    if (*p++ != 0) return false;
  }
  return true;
}

}  // namespace cpi::media

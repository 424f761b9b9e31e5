#pragma once

#include <cstddef>
#include <cstdint>

namespace cpi::media {

// The CRC-32 of gzip and zlib (polynomial 0xedb88320, reflected), continued from `crc` over
// `size` bytes: Crc32(Crc32(0, a), b) == Crc32(0, a + b). Slicing-by-8, a few GB/s.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);

// Crc32(crc, <size zero bytes>) in O(log size) time, without the bytes: disk images are mostly
// zeros, and checksumming their decompressed zeros byte by byte was a quarter of an import's CPU.
uint32_t Crc32Zeros(uint32_t crc, uint64_t size);

// Whether all `size` bytes are zero (fast: 8 bytes at a time, early exit).
bool AllZero(const void* data, size_t size);

}  // namespace cpi::media

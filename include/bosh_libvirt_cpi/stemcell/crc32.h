#pragma once

#include <cstddef>
#include <cstdint>

namespace cpi::stemcell {

// The CRC-32 of gzip and zlib (polynomial 0xedb88320, reflected), continued from `crc` over
// `size` bytes: Crc32(Crc32(0, a), b) == Crc32(0, a + b). Slicing-by-8, a few GB/s.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);

}  // namespace cpi::stemcell

#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cpi::testing {

enum class Compression { kGzip, kNone };

// Writes a tar (gzip-compressed or not) holding `entries` (name → content) in order: a stemcell
// `image` archive when one entry is root.img. Fails the current test when libarchive does.
void WriteTar(const std::string& path,
              const std::vector<std::pair<std::string, std::string>>& entries,
              Compression compression = Compression::kGzip);

}  // namespace cpi::testing

#pragma once

#include <cctype>
#include <string_view>

namespace cpi::util {

// ASCII case-insensitive equality (no locale: the CPI never loads the C++ locale, BENCHMARKS.md
// "peak RSS"). Used where the other side compares so: Go's JSON field names, libvirt's URI
// parameter names.
inline bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace cpi::util

#pragma once

#include <string>

namespace cpi::util {

// Reads the whole regular file at `path` into `out` with plain POSIX calls. Returns 0, or the
// errno of the step that failed (EISDIR for a directory). C++ file streams are avoided on
// purpose: their first use builds the C++ locale, which maps ~0.5 MiB of libstdc++ into every
// CPI process (BENCHMARKS.md, peak RSS).
int ReadFile(const std::string& path, std::string& out);

}  // namespace cpi::util

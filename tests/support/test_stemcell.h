#pragma once

#include <string>

namespace cpi::testing {

// The folder holding the built test stemcell (stemcell/build.sh): $CPI_TEST_STEMCELL_DIR, or
// <build>/stemcell, built on first use (the build is incremental and takes ~3 s cold).
// Throws std::runtime_error when it cannot be built.
std::string TestStemcellDir();

}  // namespace cpi::testing

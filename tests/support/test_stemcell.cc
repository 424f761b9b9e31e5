#include "support/test_stemcell.h"

#include <cstdlib>
#include <stdexcept>

namespace cpi::testing {

std::string TestStemcellDir() {
  static const std::string dir = [] {
    const char* env = std::getenv("CPI_TEST_STEMCELL_DIR");
    std::string d = (env != nullptr && *env) ? env : std::string(CPI_BINARY_DIR) + "/stemcell";
    std::string cmd = "bash " CPI_SOURCE_DIR "/stemcell/build.sh '" + d + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("building the test stemcell failed: " + cmd);
    }
    return d;
  }();
  return dir;
}

}  // namespace cpi::testing

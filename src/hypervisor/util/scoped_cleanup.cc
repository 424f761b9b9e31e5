#include "bosh_libvirt_cpi/util/scoped_cleanup.h"

#include <spdlog/spdlog.h>

namespace cpi::util {

void ScopedCleanup::Run() noexcept {
  while (!steps_.empty()) {
    std::function<void()> step = std::move(steps_.back());
    steps_.pop_back();
    try {
      step();
    } catch (const std::exception& e) {
      spdlog::warn("rollback step failed: {}", e.what());
    } catch (...) {
      spdlog::warn("rollback step failed");
    }
  }
}

}  // namespace cpi::util

#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace cpi::util {

// Runs registered undo steps in reverse order when it goes out of scope, unless Cancel() was
// called: the rollback of a multi-step operation. Undo steps must not throw; exceptions from
// them are logged as warnings and swallowed, so that the original failure reaches the caller.
class ScopedCleanup {
 public:
  ScopedCleanup() = default;
  ScopedCleanup(const ScopedCleanup&) = delete;
  ScopedCleanup& operator=(const ScopedCleanup&) = delete;
  ~ScopedCleanup() { Run(); }

  void Add(std::function<void()> undo) { steps_.push_back(std::move(undo)); }
  void Cancel() { steps_.clear(); }
  void Run() noexcept;

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace cpi::util

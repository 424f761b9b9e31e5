#include "bosh_libvirt_cpi/host/rollback.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::host {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstDelay{100};
constexpr milliseconds kMaxDelay{2000};

// Must be called inside a catch block: the current exception's message.
std::string What() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown failure";
  }
}

long long MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Reconnects `host`, waiting `delay` (doubled each time, up to kMaxDelay) before each attempt,
// until it works or `deadline` passes. `last_error` says why the last attempt failed.
bool ReconnectBefore(Host& host, Clock::time_point deadline, milliseconds& delay,
                     std::string& last_error) {
  Clock::time_point start = Clock::now();
  for (;;) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, kMaxDelay);
    try {
      host.Reconnect();
    } catch (...) {
      last_error = What();
      continue;
    }
    spdlog::info("reconnected to libvirt after {} ms to roll back", MillisecondsSince(start));
    try {
      // A daemon that restarted lists the pool's files again when it starts; a refresh picks up
      // a file it has not seen. Refused while another call builds a volume: not needed then.
      host.Pool().Refresh();
    } catch (const std::exception& e) {
      spdlog::debug("refreshing the pool after reconnecting: {}", e.what());
    }
    return true;
  }
}

}  // namespace

bool Rollback::AnswerMayBeLost() {
  try {
    throw;
  } catch (const virt::Error& e) {
    return e.transient();
  } catch (...) {
    return false;  // libvirt answered (or nothing was asked): it made nothing
  }
}

void Rollback::UndoOne(const Entry& entry) {
  const std::string& name = entry.name;
  switch (entry.kind) {
    case Kind::kVolume: {
      if (entry.keep && entry.keep(host_)) {
        spdlog::info("kept volume {}: it is in use (the request went through)", name);
        return;
      }
      virt::Pool& pool = host_.Pool();
      if (pool.DeleteVolume(name)) spdlog::info("deleted volume {} (rolling back)", name);
      if (pool.FindVolume(name)) throw CloudError("it still exists after deleting it");
      return;
    }
    case Kind::kDomain: {
      if (std::unique_ptr<virt::Domain> dom = host_.FindDomain(name)) {
        dom->Destroy();
        dom->Undefine();
        spdlog::info("destroyed and undefined domain {} (rolling back)", name);
      }
      if (host_.FindDomain(name)) throw CloudError("it still exists after undefining it");
      return;
    }
    case Kind::kStep:
      entry.undo(host_);
      return;
  }
}

std::vector<std::string> Rollback::Undo() noexcept {
  const int bound = host_.config().libvirt.rollback_reconnect_seconds;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(bound);
  milliseconds delay = kFirstDelay;
  std::string unreachable;  // set once reconnecting gave up: later steps are not tried
  std::vector<std::string> left;
  for (; !entries_.empty(); entries_.pop_back()) {
    const Entry& entry = entries_.back();
    std::string object = (entry.kind == Kind::kVolume   ? "volume "
                          : entry.kind == Kind::kDomain ? "domain "
                                                        : "") +
                         Quote(entry.name);
    for (;;) {
      std::string why = unreachable;
      if (why.empty()) {
        try {
          UndoOne(entry);
          break;
        } catch (...) {
          why = What();
          if (RetryMayHelp()) {  // e.g. also a pool not active yet after a restart
            spdlog::warn("rolling back {}: {}; reconnecting to libvirt (at most {} s)", object, why,
                         bound);
            if (ReconnectBefore(host_, deadline, delay, why)) continue;
            unreachable = "libvirt did not answer within " + std::to_string(bound) +
                          " s (libvirt.rollback_reconnect_seconds): " + why;
            why = unreachable;
          }
        }
      }
      spdlog::warn("rolling back {} failed: {}", object, why);
      if (entry.kind != Kind::kStep) left.push_back(object + " (" + why + ")");
      break;
    }
  }
  return left;
}

void Rollback::UndoAndRethrow() {
  if (entries_.empty()) throw;
  Clock::time_point start = Clock::now();
  std::vector<std::string> left = Undo();
  if (left.empty()) {
    spdlog::info("rolled back in {} ms; nothing of this call is left", MillisecondsSince(start));
    throw;
  }
  std::string list;
  for (const std::string& object : left) list += (list.empty() ? "" : "; ") + object;
  std::string message =
      What() + "; the rollback could not prove removed: " + list +
      ". Not retryable while they may exist (a retry could run beside them, e.g. a second VM with "
      "the same IP): once libvirt answers, remove them with `bosh-libvirt-cpi cleanup` "
      "(`--dry-run` lists them; it removes leftovers older than --min-age) or with virsh";
  ErrorType type = ErrorType::kCloudError;
  try {
    throw;
  } catch (const Error& e) {
    type = e.type();
  } catch (...) {
  }
  throw Error(type, message, /*ok_to_retry=*/false);
}

}  // namespace cpi::host

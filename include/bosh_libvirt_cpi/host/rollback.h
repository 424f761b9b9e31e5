#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bosh_libvirt_cpi/host/host.h"

namespace cpi::host {

// The rollback of a call that makes hypervisor objects (docs/ARCHITECTURE.md §8): it notes each
// domain and volume the call makes, and on failure removes them and proves they are gone.
//
// A request whose answer was lost (the daemon died or restarted mid-call) may still have been
// carried out, so an object is noted *before* the request that makes it; only an answer from
// libvirt that says no (a failure that is not transient) drops the note again. The undo steps
// take their connection from the Host, never a handle captured while making: on a lost
// connection the rollback reconnects (with backoff, for at most
// config.libvirt.rollback_reconnect_seconds in all), runs the step again, and then looks every
// object up to prove it gone. Only then does the call's own error go out unchanged (so its
// ok_to_retry stands); an object it cannot prove gone turns the answer into ok_to_retry false,
// naming the object and the `cleanup` command: a Director retry would otherwise run beside the
// leftover, e.g. a second VM with the same static IP.
class Rollback {
 public:
  explicit Rollback(Host& host) : host_(host) {}
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;

  // Runs `make`, which makes the volume `name` in the host's pool, with the volume noted for
  // removal. `keep(host)`, when given, is asked before removing it: true means the volume is in
  // use after all (a request that went through though its answer was lost) and stays.
  template <typename Make>
  auto MakeVolume(const std::string& name, Make&& make, std::function<bool(Host&)> keep = nullptr) {
    return Making({Kind::kVolume, name, nullptr, std::move(keep)}, std::forward<Make>(make));
  }
  // Runs `make`, which defines the domain `name`, with the domain noted for destroy + undefine.
  template <typename Make>
  auto MakeDomain(const std::string& name, Make&& make) {
    return Making({Kind::kDomain, name, nullptr, nullptr}, std::forward<Make>(make));
  }
  // Notes the volume `name` for removal whatever the request that makes it answers (a copy that
  // may leave a partial volume behind when it fails).
  void NoteVolume(const std::string& name) {
    entries_.push_back({Kind::kVolume, name, nullptr, nullptr});
  }
  // An undo step with nothing to prove gone (e.g. cancelling a job); `what` names it in logs.
  void Add(const std::string& what, std::function<void(Host&)> undo) {
    entries_.push_back({Kind::kStep, what, std::move(undo), nullptr});
  }

  // Must be called inside a catch block. Undoes every noted step in reverse order; then rethrows
  // the current exception when every noted object is provably gone, else throws the same error
  // (CloudError for a non-cpi::Error) with ok_to_retry false and a message naming what is left.
  [[noreturn]] void UndoAndRethrow();

 private:
  enum class Kind { kVolume, kDomain, kStep };
  struct Entry {
    Kind kind;
    std::string name;
    std::function<void(Host&)> undo;  // kStep only
    std::function<bool(Host&)> keep;  // kVolume only, optional
  };

  template <typename Make>
  auto Making(Entry entry, Make&& make) {
    entries_.push_back(std::move(entry));
    try {
      return make();
    } catch (...) {
      if (!AnswerMayBeLost()) entries_.pop_back();
      throw;
    }
  }

  // Must be called inside a catch block: whether the current failure may hide a request that
  // went through (a lost or refused connection, a daemon restarting).
  static bool AnswerMayBeLost();

  // Undoes one entry and proves it; throws when it cannot.
  void UndoOne(const Entry& entry);
  // Undoes everything noted; returns what is left, one "volume 'x' (why)" per object.
  std::vector<std::string> Undo() noexcept;

  Host& host_;
  std::vector<Entry> entries_;
};

// Runs `body(rollback)`: on success nothing is undone; on failure what `body` noted is undone
// and proved gone before its exception goes on (Rollback::UndoAndRethrow).
template <typename Body>
auto WithRollback(Host& host, Body&& body) {
  Rollback rollback(host);
  try {
    return body(rollback);
  } catch (...) {
    rollback.UndoAndRethrow();
  }
}

}  // namespace cpi::host

// Opening a libvirt connection in bounded time, with keepalive after it (issue 18: a host that
// does not answer must fail the call retryably within the configured `timeout_seconds`, never
// hang it; README.md, "Several hosts").
#include <libvirt/virterror.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "bosh_libvirt_cpi/util/abandoned_threads.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/virt/connection.h"
#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

// Keepalive probes that may go unanswered before libvirt closes the connection. Probes start
// after `interval` seconds without a message from the peer and repeat every `interval`, so with
// interval = timeout / (count + 1) a peer that stops answering is detected after about
// `timeout`; a daemon that is busy but alive answers them from its event loop.
constexpr unsigned kKeepAliveCount = 3;

// libvirt's default event loop, run by one thread for the rest of the process. Keepalive needs
// it, registered before the first connection is opened and run continuously from then on
// (libvirt's documentation of virEventRegisterDefaultImpl). The thread is never stopped: the CPI
// process ends with _exit (src/core/main.cc). False when it could not be started: connections
// then work without keepalive.
bool StartEventLoop() {
  static const bool running = [] {
    if (virEventRegisterDefaultImpl() < 0) {
      virResetLastError();
      return false;
    }
    try {
      std::thread([] {
        for (;;) {
          if (virEventRunDefaultImpl() < 0) {
            virResetLastError();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
      }).detach();
    } catch (const std::system_error&) {
      return false;
    }
    return true;
  }();
  return running;
}

// Whether `uri` reaches its daemon over a network (ssh, TLS, TCP, an external command) rather
// than a local socket (qemu:///system, qemu+unix://) or in-process (test:///default). Only
// those get keepalive: a local daemon that stops answering its socket is not a partition, and
// the event loop it needs costs every call ~2 ms (BENCHMARKS.md).
bool OverNetwork(std::string_view uri) {
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view scheme = uri.substr(0, scheme_end);
  size_t plus = scheme.find('+');
  std::string_view transport = plus == std::string_view::npos ? "" : scheme.substr(plus + 1);
  std::string_view rest = uri.substr(scheme_end + 3);
  bool has_host = !rest.empty() && rest.front() != '/' && rest.front() != '?';
  if (transport == "unix") return false;
  return !transport.empty() || has_host;
}

// What the opening thread hands to the caller, shared so that whichever of the two finishes
// last frees it.
struct PendingOpen {
  std::mutex mutex;
  std::condition_variable answered;
  bool done = false;       // the thread has left virConnectOpen and filled in the result
  bool abandoned = false;  // the caller stopped waiting: the thread closes what it opened
  ConnectPtr conn;
  std::optional<Error> error;
};

// virConnectOpen on the calling thread; the failure is captured here because libvirt keeps the
// last error per thread.
void Open(const std::string& uri, const std::string& what, PendingOpen& pending) {
  ConnectPtr conn(virConnectOpen(uri.c_str()));
  std::optional<Error> error;
  if (!conn) error = Error::Last(what);
  std::unique_lock lock(pending.mutex);
  if (pending.abandoned) {
    lock.unlock();
    conn.reset();  // nobody takes it: close it
    util::RemoveAbandonedThread();
    return;
  }
  pending.conn = std::move(conn);
  pending.error = std::move(error);
  pending.done = true;
  pending.answered.notify_one();
}

}  // namespace

ConnectPtr OpenConnection(const std::string& uri, int timeout_seconds) {
  SilenceDefaultErrorPrinter();
  // The loop must run before the connection that uses it is opened.
  bool keepalive = OverNetwork(uri) && StartEventLoop();
  timeout_seconds = std::max(timeout_seconds, 1);
  std::string what = "connecting to libvirt at '" + util::RedactUri(uri) + "'";

  // virConnectOpen has no timeout of its own: a host that accepts TCP but never answers, or an
  // ssh that stalls, keeps it waiting for minutes. It runs on a thread of its own; when it does
  // not answer in time the call fails and the thread is left behind (counted, so that main ends
  // the process with _exit while it runs).
  auto pending = std::make_shared<PendingOpen>();
  std::thread opener;
  try {
    opener = std::thread([pending, uri, what] { Open(uri, what, *pending); });
  } catch (const std::system_error&) {
    Open(uri, what, *pending);  // no thread to spare: open unbounded, as before
  }
  {
    std::unique_lock lock(pending->mutex);
    if (!pending->answered.wait_for(lock, std::chrono::seconds(timeout_seconds),
                                    [&] { return pending->done; })) {
      pending->abandoned = true;
      util::AddAbandonedThread();
      lock.unlock();
      opener.detach();
      throw Error(what + ": no answer in " + std::to_string(timeout_seconds) + " s",
                  VIR_ERR_OPERATION_TIMEOUT, VIR_FROM_RPC);
    }
  }
  if (opener.joinable()) opener.join();
  if (pending->error) throw std::move(*pending->error);

  if (keepalive) {
    int interval = std::max(1, timeout_seconds / static_cast<int>(kKeepAliveCount + 1));
    // Drivers without keepalive (test://, a daemon that refuses it) work without it.
    if (virConnectSetKeepAlive(pending->conn.get(), interval, kKeepAliveCount) < 0) {
      virResetLastError();
    }
  }
  return std::move(pending->conn);
}

}  // namespace cpi::virt

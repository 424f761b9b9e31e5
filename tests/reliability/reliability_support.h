#pragma once

// What the Reliability* suites share: CPI processes that run side by side or get killed
// half-way, a private root libvirtd that can be killed and restarted, a storage pool on a small
// tmpfs, and checks of what a pool, a host and a lock folder hold.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/virt/connection.h"
#include "support/process.h"

namespace cpi::testing::reliability {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A CPI process started in the background. stdin, stdout and stderr are files in a scratch
// folder (so nothing in the parent has to pump pipes, and 16 can run at once); everything execve
// needs is prepared before fork.
class CpiProcess {
 public:
  // Starts `bosh-libvirt-cpi --config <config>` with one Director-style request.
  static std::unique_ptr<CpiProcess> Start(const std::string& config, const std::string& method,
                                           const json& arguments, int api_version = 2,
                                           int stemcell_api_version = 3,
                                           const std::map<std::string, std::string>& env = {});
  // Starts any argv (the first element is the program) with `input` on stdin.
  static std::unique_ptr<CpiProcess> StartRaw(const std::vector<std::string>& argv,
                                              const std::string& input,
                                              const std::map<std::string, std::string>& env = {});
  ~CpiProcess();

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits for the exit; idempotent. exit_code is 128+signal for a killed process.
  const ProcessResult& Wait();
  // The parsed response; {"exit_code": n, "stderr": ...} when the process did not exit 0 or
  // wrote no JSON.
  json Response();
  const std::string& method() const { return method_; }

 private:
  CpiProcess() = default;
  pid_t pid_ = -1;
  bool waited_ = false;
  ProcessResult result_;
  std::string dir_, method_;
};

// Runs all requests at once (each its own process) and returns the responses in order.
struct Call {
  std::string method;
  json arguments;
  std::string config;
};
std::vector<json> RunConcurrently(const std::vector<Call>& calls);

// `bosh-libvirt-cpi cleanup <args...> --config <config>`.
ProcessResult RunCleanup(const std::string& config, const std::vector<std::string>& args);

// The whole file ("" when it cannot be read).
std::string ReadAll(const std::string& path);
// A new folder /tmp/<prefix>.XXXXXX, mode 0755.
std::string MakeTempDir(const std::string& prefix);

// A TCP port on 127.0.0.1 that nobody listens on right now (the kernel's pick).
int FreeLoopbackPort();

// Runs a shell command; throws std::runtime_error with its output unless it exits 0.
std::string Sh(const std::string& command);

// A CPI config file (written to `path`) for `uri`, `pool`, `network`.
void WriteConfig(const std::string& path, const std::string& uri, const std::string& pool,
                 const std::string& network, const std::string& lock_dir,
                 const std::string& console_dir, const json& overrides = json::object());

// A root libvirtd (plus virtlogd) of its own in a private mount namespace (environment.md
// §2.4(b)): private /etc/libvirt (only *.conf and nwfilter/ copied), /run/libvirt,
// /var/lib/libvirt/{qemu,dnsmasq}, /var/cache/libvirt (with the main daemon's capability cache,
// so it starts in well under a second) and /var/log/libvirt. Clients use uri(). The namespace is
// held by a sleeping process, so the daemon can be killed and started again in the same
// namespace, where it finds its running domains again. Pool directories under
// /var/lib/libvirt/images are shared with the host (not overlaid).
// With `listen_tcp` it also listens (libvirtd --listen) on qemu+tcp on 127.0.0.1 and a free port,
// without authentication (its own libvirtd.conf: listen_tcp, tcp_port, listen_addr, auth_tcp
// "none", listen_tls 0): a second "remote" host for the multi-host tests (tests/multihost).
class PrivateLibvirtd {
 public:
  // Starts it; throws std::runtime_error when it does not answer.
  explicit PrivateLibvirtd(bool listen_tcp = false);
  ~PrivateLibvirtd();  // destroys every domain it runs, stops both daemons, drops the namespace

  const std::string& uri() const { return uri_; }
  // qemu+tcp://127.0.0.1:PORT/system; empty without listen_tcp.
  const std::string& tcp_uri() const { return tcp_uri_; }
  const std::string& dir() const { return dir_; }
  pid_t libvirtd_pid() const { return libvirtd_; }

  // Sends `sig` to libvirtd and reaps it (SIGKILL: a crash; SIGTERM: a clean stop).
  void Stop(int sig);
  // Starts libvirtd again in the same namespace and waits until it answers.
  void Start();
  bool Answers() const;

 private:
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log);
  void WaitUntilAnswering();
  void ListenOnFreePort();

  std::string dir_, uri_, tcp_uri_, libvirtd_conf_;
  pid_t holder_ = -1, virtlogd_ = -1, libvirtd_ = -1;
};

// A private world on any daemon: a persistent, autostarted dir pool in its own folder and an
// isolated network without addresses (no dnsmasq, no firewall rules), plus a config for them.
// Used on the private daemon, whose objects must survive its restarts.
class DaemonWorld {
 public:
  DaemonWorld(const std::string& uri, const std::string& suite);
  ~DaemonWorld();

  const std::string& uri() const { return uri_; }
  const std::string& pool() const { return pool_; }
  const std::string& pool_dir() const { return pool_dir_; }
  const std::string& network() const { return network_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& lock_dir() const { return lock_dir_; }
  const std::string& scratch() const { return scratch_; }

  // A fresh connection (the daemon may have restarted since the last one).
  virt::RawConnection Connect() const;
  std::vector<std::string> Volumes() const;
  std::vector<std::string> Domains() const;  // names of all domains of the daemon

 private:
  std::string uri_, id_, pool_, pool_dir_, network_, bridge_, scratch_, config_path_, lock_dir_,
      console_dir_;
};

// A dir pool on a tmpfs of `size_bytes` (a full disk on demand), on the main daemon, with a
// config for it. The world's network is used for NICs.
class TmpfsPool {
 public:
  TmpfsPool(virt::RawConnection& conn, const std::string& network, size_t size_bytes);
  ~TmpfsPool();

  const std::string& pool() const { return pool_; }
  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& lock_dir() const { return lock_dir_; }
  std::vector<std::string> Volumes();
  // Leaves about `free_bytes` free on the filesystem by (re)writing a filler file that is not a
  // volume the CPI knows (a pool refresh would list it; its name is not one of ours).
  void LeaveFree(size_t free_bytes);
  size_t FreeBytes() const;

 private:
  virt::RawConnection& conn_;
  std::string pool_, dir_, scratch_, config_path_, lock_dir_;
  bool mounted_ = false;
};

// Watches a pool folder (inotify) for a file whose name satisfies `match`. Arm before starting
// the process you want to catch.
class PoolWatcher {
 public:
  explicit PoolWatcher(const std::string& dir);
  ~PoolWatcher();
  // The first created (or written) file that matches, or nullopt after `timeout`.
  std::optional<std::string> WaitFor(const std::function<bool(const std::string&)>& match,
                                     std::chrono::milliseconds timeout, bool on_write = false);

 private:
  int fd_ = -1;
};

// What a process is doing once it stopped making progress: waiting for a flock (a blocked
// request of its pid in /proc/locks), or exited (a zombie not yet reaped).
enum class Halted { kWaitingForLock, kExited, kNeither };
// Polls until the process waits for a lock or has exited; kNeither after `timeout`.
Halted WaitUntilLockWaitOrExit(pid_t pid, std::chrono::milliseconds timeout);

// Waits until the file at `path` has at least `bytes` allocated (an upload well under way).
bool WaitForAllocated(const std::string& path, uint64_t bytes, std::chrono::milliseconds timeout);

// Every file in `dir` (not recursive).
std::vector<std::string> FilesIn(const std::string& dir);

// MAC addresses of every domain of the connection (lowercase), and of the given domain's
// disks: target -> serial for the persistent (inactive) or live definition.
std::vector<std::string> AllMacs(virt::RawConnection& conn);
std::map<std::string, std::string> DiskTargets(virt::RawConnection& conn, const std::string& domain,
                                               bool inactive);

// Whether `text` contains `needle` (for gtest messages that should not print `text`).
inline bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Expect helpers: a response that succeeded / failed with `type` and `ok_to_retry`.
std::string ErrorType(const json& response);
bool OkToRetry(const json& response);

// A manual BOSH network on `network` with `ip`.
json ManualNetwork(const std::string& network, const std::string& ip);

// A fake stemcell volume plus its cloud_properties sidecar, as create_stemcell leaves them, in
// `pool` of `conn`. Returns the CID.
std::string AddStemcellWithSidecar(virt::RawConnection& conn, const std::string& pool);

}  // namespace cpi::testing::reliability

#pragma once

// What the Multihost* suites share (issue 18, "How it is tested here"): two real libvirt hosts on
// this machine, reached over libvirt's remote protocol the way an operator's KVM hosts are:
//   kvm-a  the system libvirtd over qemu+ssh:// through a private sshd (PrivateSshd)
//   kvm-b  a private root libvirtd (tests/reliability, PrivateLibvirtd) over qemu+tcp://
// each with its own pool and address-less network (DaemonWorld), and the CPI configs of the
// `hosts` form (README.md, the hosts config) that name them. Everything is made once per
// cpi_tests process on first use and removed when the process's tests end, also after failures.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reliability/reliability_support.h"

namespace cpi::testing::multihost {

using nlohmann::json;
using reliability::Clock;
using reliability::DaemonWorld;
using reliability::PrivateLibvirtd;

// A private sshd (Debian's openssh-server) on a free loopback port, with a host key, an
// authorized client key and a known_hosts file made here, in a scratch folder of its own; it
// logs in as root, whose libvirt is the system daemon. Never the machine's own sshd.
//
// libvirt's ssh transport (qemu+ssh://, the openssh binary) has no known_hosts parameter (the
// `known_hosts=` of qemu+libssh:// is ignored by it: ~/.ssh/known_hosts is used), so the URIs use
// `command=` with a wrapper script that runs ssh with our known_hosts file only and BatchMode, as
// the release's bin/libvirt-ssh does (README.md, "Reaching libvirtd from a Director").
class PrivateSshd {
 public:
  PrivateSshd();   // throws std::runtime_error when sshd does not start
  ~PrivateSshd();  // kills sshd, removes the folder
  PrivateSshd(const PrivateSshd&) = delete;
  PrivateSshd& operator=(const PrivateSshd&) = delete;

  int port() const { return port_; }
  // qemu+ssh://root@127.0.0.1:PORT/system?keyfile=...&command=...&no_tty=1: the system libvirtd.
  std::string Uri() const;
  // The same, with a known_hosts file that holds another host key for [127.0.0.1]:PORT.
  std::string UriWithWrongHostKey() const;
  // The same, with a client key that is not in authorized_keys.
  std::string UriWithUnauthorizedKey() const;
  // Strings of every key made here (private key lines, public keys' base64) that must never show
  // up in a response or on stderr.
  std::vector<std::string> KeyMaterial() const;
  bool Running() const;

 private:
  bool StartOn(int port);
  std::string UriWith(const std::string& key, const std::string& wrapper) const;

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// qemu+tcp://127.0.0.1:PORT/system. A LoopbackListener (support/loopback.h) nobody accepts from
// is a libvirt host that never answers.
inline std::string TcpUri(int port) {
  return "qemu+tcp://127.0.0.1:" + std::to_string(port) + "/system";
}

// The two hosts and the suite's scratch folder (configs, lock dir, console logs, images).
class TwoHosts {
 public:
  TwoHosts();
  ~TwoHosts();

  PrivateSshd& sshd() { return *sshd_; }
  PrivateLibvirtd& daemon_b() { return *daemon_b_; }
  DaemonWorld& a() { return *a_; }  // on the system daemon (inspected over qemu:///system)
  DaemonWorld& b() { return *b_; }  // on the private daemon (inspected over its unix socket)
  const std::string& scratch() const { return scratch_; }

  // One entry of `hosts` for a world: name, uri, storage_pool, network (+ az, key if not empty).
  json Host(const std::string& name, const std::string& uri, const DaemonWorld& world,
            const std::string& az, const std::string& key = "") const;
  // Writes a CPI config with `hosts`, the suite's shared defaults in `libvirt` (domain_type qemu,
  // console_log_dir, timeout_seconds) merged with `libvirt_overrides`, and the suite's lock_dir;
  // returns its path (scratch/<name>.json).
  std::string WriteConfig(const std::string& name, const std::vector<json>& hosts,
                          const json& libvirt_overrides = json::object()) const;
  // The main two-host config: kvm-a (key "kq", az z1) and kvm-b (default key, az z2),
  // timeout_seconds 5.
  const std::string& config() const { return config_; }
  // A tarball `image` of a small raw root.img, as the Director hands create_stemcell, and the
  // stemcell's cloud_properties.
  std::string StemcellImage();
  static json StemcellProperties();

 private:
  std::unique_ptr<PrivateSshd> sshd_;
  std::unique_ptr<PrivateLibvirtd> daemon_b_;
  std::unique_ptr<DaemonWorld> a_, b_;
  std::string scratch_, config_, image_;
};

// The suite's hosts, made on first use (throws what their setup threw, every time).
TwoHosts& Hosts();

// Base of the Multihost* fixtures: the hosts are up (kvm-b's daemon started again when a test
// left it stopped or frozen) before each test.
class MultihostTest : public ::testing::Test {
 protected:
  void SetUp() override;
  TwoHosts& hosts() { return *hosts_; }

 private:
  TwoHosts* hosts_ = nullptr;
};

constexpr char kKeyA[] = "kq";  // kvm-a's key in every config of these suites
constexpr int kTimeoutSeconds = 5;

// One CPI call's answer, its stderr and wall time.
struct Answer {
  json response;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};
// One CPI call with `config`, killed (and answered {"exit_code": 137}) after `limit`, so that a
// hanging call fails its test instead of running into the label's CTest timeout.
Answer Timed(const std::string& config, const std::string& method, const json& arguments,
             std::chrono::seconds limit = std::chrono::seconds(120));
inline json Call(const std::string& config, const std::string& method, const json& arguments) {
  return Timed(config, method, arguments).response;
}
// Every call at once (one process each), answers in order.
std::vector<json> CallConcurrently(const std::string& config, const std::string& method,
                                   const std::vector<json>& arguments,
                                   std::chrono::seconds limit = std::chrono::seconds(180));

// create_vm arguments: stemcell, memory 128 MiB, ephemeral disk 16 MiB plus `cloud_properties`,
// a manual network without cloud_properties (each host's default network) at `ip`, `disk_cids`.
json VmArguments(const std::string& stemcell, const json& cloud_properties,
                 const std::string& ip = "10.9.0.10", const json& disk_cids = json::array());

// The host key of a VM, disk or snapshot CID ("vm-kq-…" → "kq", "disk-kq…" → "kq"); "" for a
// hostless (all-hex) CID or anything else.
std::string CidKey(const std::string& cid);
// Whether `key` is a host key of spec18: exactly 2 letters of g..z.
bool IsHostKey(const std::string& key);

// The answer's result when it succeeded; records a test failure (with the answer) otherwise.
json Ok(const json& response);
std::string Message(const json& response);
// The result when it is a string (a CID), else "".
inline std::string Str(const json& result) {
  return result.is_string() ? result.get<std::string>() : "";
}
// Whether `text` holds any of `secrets`.
bool LeaksAny(const std::string& text, const std::vector<std::string>& secrets);

// Destroys the domain (stops its QEMU) without touching its definition: a detach then edits the
// definition alone (the test guests run no OS that could consent to a live unplug).
void PowerOff(DaemonWorld& world, const std::string& vm);
bool HasDomain(DaemonWorld& world, const std::string& vm);
// Whether the world's pool holds a volume named `cid` or `cid` + a suffix (-root, -props, -meta…).
bool HasVolumesOf(DaemonWorld& world, const std::string& cid);
// Serials of the disks in the domain's persistent definition.
std::vector<std::string> DiskSerials(DaemonWorld& world, const std::string& vm);

}  // namespace cpi::testing::multihost

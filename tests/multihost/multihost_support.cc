#include "multihost/multihost_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <libvirt/libvirt.h>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "support/cpi_request.h"

extern char** environ;

namespace cpi::testing::multihost {
namespace {

namespace fs = std::filesystem;
using reliability::CpiProcess;
using reliability::MakeTempDir;
using reliability::ReadAll;
using reliability::Sh;

void WriteExecutable(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  chmod(path.c_str(), 0755);
}

}  // namespace

// --- PrivateSshd -------------------------------------------------------------------------------

PrivateSshd::PrivateSshd() : dir_(MakeTempDir("cpi-mh-sshd")) {
  try {
    for (const char* key : {"host_key", "other_host_key", "client_key", "stranger_key"}) {
      Sh("ssh-keygen -q -t ed25519 -N '' -C multihost-" + std::string(key) + " -f " + dir_ + "/" +
         key);
    }
    fs::copy_file(dir_ + "/client_key.pub", dir_ + "/authorized_keys");
    fs::create_directories("/run/sshd");  // privilege separation folder
    for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
      int candidate = reliability::FreeLoopbackPort();
      if (StartOn(candidate)) port_ = candidate;
    }
    if (port_ == 0) throw std::runtime_error("sshd did not start: " + ReadAll(dir_ + "/sshd.log"));
    std::string where = "[127.0.0.1]:" + std::to_string(port_) + " ";
    auto public_key = [this](const std::string& name) {
      std::string line = ReadAll(dir_ + "/" + name + ".pub");
      return line.substr(0, line.find(' ', line.find(' ') + 1));  // type and base64
    };
    std::ofstream(dir_ + "/known_hosts") << where << public_key("host_key") << "\n";
    std::ofstream(dir_ + "/wrong_known_hosts") << where << public_key("other_host_key") << "\n";
    for (const char* kh : {"known_hosts", "wrong_known_hosts"}) {
      WriteExecutable(dir_ + "/ssh-" + kh,
                      "#!/bin/sh\nexec ssh -o UserKnownHostsFile=" + dir_ + "/" + kh +
                          " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
                          " -o BatchMode=yes -o ConnectTimeout=5 \"$@\"\n");
    }
  } catch (...) {
    if (pid_ > 0) kill(pid_, SIGTERM);
    fs::remove_all(dir_);
    throw;
  }
}

bool PrivateSshd::StartOn(int port) {
  std::ofstream(dir_ + "/sshd_config")
      << "Port " << port << "\nListenAddress 127.0.0.1\nHostKey " << dir_ << "/host_key\nPidFile "
      << dir_ << "/sshd.pid\nAuthorizedKeysFile " << dir_
      << "/authorized_keys\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
         "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
         "StrictModes no\n";
  std::string log = dir_ + "/sshd.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string config = dir_ + "/sshd_config";
  std::vector<std::string> args = {"/usr/sbin/sshd", "-D", "-e", "-f", config};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("starting sshd: ") + strerror(rc));
  std::string listening = "Server listening on 127.0.0.1 port " + std::to_string(port);
  for (Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
       Clock::now() < deadline;) {
    if (ReadAll(log).find(listening) != std::string::npos) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

bool PrivateSshd::Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string PrivateSshd::UriWith(const std::string& key, const std::string& wrapper) const {
  return "qemu+ssh://root@127.0.0.1:" + std::to_string(port_) + "/system?keyfile=" + dir_ + "/" +
         key + "&command=" + dir_ + "/" + wrapper + "&no_tty=1";
}

std::string PrivateSshd::Uri() const { return UriWith("client_key", "ssh-known_hosts"); }
std::string PrivateSshd::UriWithWrongHostKey() const {
  return UriWith("client_key", "ssh-wrong_known_hosts");
}
std::string PrivateSshd::UriWithUnauthorizedKey() const {
  return UriWith("stranger_key", "ssh-known_hosts");
}

std::vector<std::string> PrivateSshd::KeyMaterial() const {
  std::vector<std::string> out;
  for (const char* key : {"host_key", "other_host_key", "client_key", "stranger_key"}) {
    std::ifstream priv(dir_ + "/" + key);
    for (std::string line; std::getline(priv, line);) {
      if (line.find("-----") == std::string::npos && !line.empty()) out.push_back(line);
    }
    std::string pub = ReadAll(dir_ + "/" + key + ".pub");
    size_t start = pub.find(' ') + 1;
    out.push_back(pub.substr(start, pub.find(' ', start) - start));
  }
  return out;
}

PrivateSshd::~PrivateSshd() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

// --- TwoHosts ----------------------------------------------------------------------------------

TwoHosts::TwoHosts() : scratch_(MakeTempDir("cpi-mh")) {
  try {
    fs::create_directories(scratch_ + "/console");
    chmod((scratch_ + "/console").c_str(), 0777);
    sshd_ = std::make_unique<PrivateSshd>();
    daemon_b_ = std::make_unique<PrivateLibvirtd>(/*listen_tcp=*/true);
    a_ = std::make_unique<DaemonWorld>("qemu:///system", "mha");
    b_ = std::make_unique<DaemonWorld>(daemon_b_->uri(), "mhb");
    config_ = WriteConfig("two-hosts", {Host("kvm-a", sshd_->Uri(), *a_, "z1", kKeyA),
                                        Host("kvm-b", daemon_b_->tcp_uri(), *b_, "z2")});
  } catch (...) {
    b_.reset();
    a_.reset();
    daemon_b_.reset();
    sshd_.reset();
    fs::remove_all(scratch_);
    throw;
  }
}

TwoHosts::~TwoHosts() {
  // The worlds first (their domains and volumes, on daemons that still run), then the daemons.
  b_.reset();
  a_.reset();
  daemon_b_.reset();
  sshd_.reset();
  std::error_code ignored;
  fs::remove_all(scratch_, ignored);
}

json TwoHosts::Host(const std::string& name, const std::string& uri, const DaemonWorld& world,
                    const std::string& az, const std::string& key) const {
  json host = {
      {"name", name}, {"uri", uri}, {"storage_pool", world.pool()}, {"network", world.network()}};
  if (!az.empty()) host["az"] = az;
  if (!key.empty()) host["key"] = key;
  return host;
}

std::string TwoHosts::WriteConfig(const std::string& name, const std::vector<json>& hosts,
                                  const json& libvirt_overrides) const {
  json libvirt = {{"domain_type", "qemu"},
                  {"console_log_dir", scratch_ + "/console"},
                  {"timeout_seconds", kTimeoutSeconds}};
  libvirt.merge_patch(libvirt_overrides);
  json config = {{"hosts", json(hosts)},
                 {"libvirt", libvirt},
                 {"agent", {{"mbus", "nats://10.0.0.6:4222"}, {"ntp", {"ntp.example"}}}},
                 {"lock_dir", scratch_ + "/locks"}};
  std::string path = scratch_ + "/" + name + ".json";
  std::ofstream(path) << config.dump(2);
  return path;
}

std::string TwoHosts::StemcellImage() {
  if (image_.empty()) {
    std::string dir = scratch_ + "/image";
    fs::create_directories(dir);
    Sh("cd " + dir + " && truncate -s 8M root.img && tar czf image root.img && rm root.img");
    image_ = dir + "/image";
  }
  return image_;
}

json TwoHosts::StemcellProperties() {
  return {{"name", "bosh-multihost-test"}, {"version", "0.0.1"},         {"disk", 8},
          {"disk_format", "raw"},          {"container_format", "bare"}, {"os_type", "linux"},
          {"architecture", "x86_64"}};
}

namespace {

std::mutex hosts_mutex;
std::unique_ptr<TwoHosts> hosts;
std::string hosts_error;

// Removes the hosts when the process's tests end (registered on first use only, so a run of
// other suites starts no daemon).
class HostsTeardown : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard<std::mutex> lock(hosts_mutex);
    hosts.reset();
  }
};

}  // namespace

TwoHosts& Hosts() {
  std::lock_guard<std::mutex> lock(hosts_mutex);
  if (!hosts_error.empty()) throw std::runtime_error(hosts_error);
  if (!hosts) {
    try {
      hosts = std::make_unique<TwoHosts>();
    } catch (const std::exception& e) {
      hosts_error = std::string("setting up the two hosts: ") + e.what();
      throw std::runtime_error(hosts_error);
    }
    ::testing::AddGlobalTestEnvironment(new HostsTeardown());
  }
  return *hosts;
}

void MultihostTest::SetUp() {
  try {
    hosts_ = &Hosts();
  } catch (const std::exception& e) {
    GTEST_FAIL() << e.what();
  }
  if (pid_t pid = hosts_->daemon_b().libvirtd_pid(); pid > 0) kill(pid, SIGCONT);
  if (!hosts_->daemon_b().Answers()) {
    hosts_->daemon_b().Stop(SIGKILL);
    hosts_->daemon_b().Start();
  }
  ASSERT_TRUE(hosts_->sshd().Running()) << "the private sshd exited";
}

// --- Calls -------------------------------------------------------------------------------------

namespace {

std::unique_ptr<CpiProcess> StartCall(const std::string& config, const std::string& method,
                                      const json& arguments, std::chrono::seconds limit) {
  return CpiProcess::StartRaw({"/usr/bin/timeout", "-s", "KILL", std::to_string(limit.count()),
                               CPI_EXECUTABLE, "--config", config},
                              DirectorRequest(method, arguments));
}

}  // namespace

Answer Timed(const std::string& config, const std::string& method, const json& arguments,
             std::chrono::seconds limit) {
  Clock::time_point start = Clock::now();
  std::unique_ptr<CpiProcess> p = StartCall(config, method, arguments, limit);
  Answer answer;
  answer.response = p->Response();
  answer.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  answer.err = p->Wait().err;
  return answer;
}

std::vector<json> CallConcurrently(const std::string& config, const std::string& method,
                                   const std::vector<json>& arguments, std::chrono::seconds limit) {
  std::vector<std::unique_ptr<CpiProcess>> running;
  for (const json& a : arguments) running.push_back(StartCall(config, method, a, limit));
  std::vector<json> out;
  for (auto& p : running) out.push_back(p->Response());
  return out;
}

json VmArguments(const std::string& stemcell, const json& cloud_properties, const std::string& ip,
                 const json& disk_cids) {
  json props = {{"memory", 128}, {"cpu", 1}, {"ephemeral_disk", {{"size", 16}}}};
  props.merge_patch(cloud_properties);
  json networks = {{"default",
                    {{"type", "manual"},
                     {"ip", ip},
                     {"netmask", "255.255.255.0"},
                     {"gateway", ip.substr(0, ip.rfind('.')) + ".1"},
                     {"dns", {"10.0.0.2"}},
                     {"default", {"dns", "gateway"}}}}};
  return {"agent-multihost", stemcell, props, networks, disk_cids, json::object()};
}

bool IsHostKey(const std::string& key) {
  return key.size() == 2 && key[0] >= 'g' && key[0] <= 'z' && key[1] >= 'g' && key[1] <= 'z';
}

std::string CidKey(const std::string& cid) {
  for (const char* prefix : {"vm-", "snap-"}) {
    size_t n = std::strlen(prefix);
    if (cid.rfind(prefix, 0) == 0 && cid.size() > n + 3 && cid[n + 2] == '-') {
      std::string key = cid.substr(n, 2);
      return IsHostKey(key) ? key : "";
    }
  }
  if (cid.rfind("disk-", 0) == 0 && cid.size() == 20) {
    std::string key = cid.substr(5, 2);
    return IsHostKey(key) ? key : "";
  }
  return "";
}

json Ok(const json& response) {
  EXPECT_TRUE(response.contains("error") && response["error"].is_null()) << response.dump();
  return response.value("result", json());
}

std::string Message(const json& response) {
  if (!response.contains("error") || !response["error"].is_object()) return "";
  return response["error"].value("message", "");
}

bool LeaksAny(const std::string& text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (!s.empty() && text.find(s) != std::string::npos) return true;
  }
  return false;
}

void PowerOff(DaemonWorld& world, const std::string& vm) {
  virt::RawConnection conn = world.Connect();
  if (std::optional<virt::DomainPtr> dom = conn.FindDomain(vm)) virDomainDestroy(dom->get());
}

bool HasDomain(DaemonWorld& world, const std::string& vm) {
  virt::RawConnection conn = world.Connect();
  return conn.FindDomain(vm).has_value();
}

bool HasVolumesOf(DaemonWorld& world, const std::string& cid) {
  for (const std::string& v : world.Volumes()) {
    if (v == cid || (v.rfind(cid, 0) == 0 && v[cid.size()] == '-')) return true;
  }
  return false;
}

std::vector<std::string> DiskSerials(DaemonWorld& world, const std::string& vm) {
  virt::RawConnection conn = world.Connect();
  std::vector<std::string> out;
  for (const auto& [target, serial] : reliability::DiskTargets(conn, vm, /*inactive=*/true)) {
    out.push_back(serial);
  }
  return out;
}

}  // namespace cpi::testing::multihost

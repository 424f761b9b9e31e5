#include "reliability/reliability_support.h"
#include "support/libvirt_world.h"

#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "support/cpi_request.h"
#include "support/loopback.h"

extern char** environ;

namespace cpi::testing::reliability {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + ".XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  chmod(pattern.c_str(), 0755);
  return pattern;
}

namespace {

// Everything execve needs, built before fork (after fork only async-signal-safe calls).
struct ExecPlan {
  std::vector<std::string> argv_strings, env_strings;
  std::vector<char*> argv, envp;
  std::string in, out, err;

  ExecPlan(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
           const std::string& dir)
      : argv_strings(args), in(dir + "/in"), out(dir + "/out"), err(dir + "/err") {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      size_t eq = kv.find('=');
      if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) vars[k] = v;
    for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
    for (std::string& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  pid_t Launch() {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int i = open(in.c_str(), O_RDONLY);
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (i < 0 || o < 0 || e < 0) _exit(126);
      dup2(i, 0);
      dup2(o, 1);
      dup2(e, 2);
      // A process group of its own: a test's SIGKILL of the CPI never reaches the test runner.
      setpgid(0, 0);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    return pid;
  }
};

// Reaps `pid`, waiting at most `timeout`; SIGKILLs it after that.
void Reap(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return;
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

// --- CpiProcess --------------------------------------------------------------------------------

std::unique_ptr<CpiProcess> CpiProcess::Start(const std::string& config, const std::string& method,
                                              const json& arguments, int api_version,
                                              int stemcell_api_version,
                                              const std::map<std::string, std::string>& env) {
  auto p = StartRaw({CPI_EXECUTABLE, "--config", config},
                    DirectorRequest(method, arguments, api_version, stemcell_api_version), env);
  p->method_ = method;
  return p;
}

std::unique_ptr<CpiProcess> CpiProcess::StartRaw(const std::vector<std::string>& argv,
                                                 const std::string& input,
                                                 const std::map<std::string, std::string>& env) {
  std::unique_ptr<CpiProcess> p(new CpiProcess());
  p->dir_ = MakeTempDir("cpi-rel-proc");
  ExecPlan plan(argv, env, p->dir_);
  std::ofstream(plan.in, std::ios::binary) << input;
  p->pid_ = plan.Launch();
  return p;
}

CpiProcess::~CpiProcess() {
  if (!waited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void CpiProcess::Signal(int sig) const {
  if (pid_ > 0 && !waited_) kill(pid_, sig);
}

const ProcessResult& CpiProcess::Wait() {
  if (waited_) return result_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  waited_ = true;
  result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result_.out = ReadAll(dir_ + "/out");
  result_.err = ReadAll(dir_ + "/err");
  return result_;
}

json CpiProcess::Response() {
  const ProcessResult& r = Wait();
  if (r.exit_code != 0) return {{"exit_code", r.exit_code}, {"stderr", r.err}};
  try {
    return json::parse(r.out);
  } catch (const json::exception&) {
    return {{"exit_code", r.exit_code}, {"stdout", r.out}, {"stderr", r.err}};
  }
}

std::vector<json> RunConcurrently(const std::vector<Call>& calls) {
  std::vector<std::unique_ptr<CpiProcess>> running;
  for (const Call& c : calls) running.push_back(CpiProcess::Start(c.config, c.method, c.arguments));
  std::vector<json> out;
  for (auto& p : running) out.push_back(p->Response());
  return out;
}

ProcessResult RunCleanup(const std::string& config, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CPI_EXECUTABLE, "cleanup"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config);
  return RunProcess(argv, "");
}

int FreeLoopbackPort() { return ListenOnLoopback().port; }  // closed again on return

std::string Sh(const std::string& command) {
  ProcessResult r = RunProcess({"/bin/sh", "-c", command}, "");
  if (r.exit_code != 0) {
    throw std::runtime_error("`" + command + "` failed (" + std::to_string(r.exit_code) +
                             "): " + r.out + r.err);
  }
  return r.out;
}

void WriteConfig(const std::string& path, const std::string& uri, const std::string& pool,
                 const std::string& network, const std::string& lock_dir,
                 const std::string& console_dir, const json& overrides) {
  json config = {{"libvirt",
                  {{"uri", uri},
                   {"storage_pool", pool},
                   {"network", network},
                   {"domain_type", "qemu"},
                   {"console_log_dir", console_dir}}},
                 {"agent", {{"mbus", "nats://10.0.0.6:4222"}, {"ntp", {"ntp.example"}}}},
                 {"lock_dir", lock_dir}};
  config.merge_patch(overrides);
  std::ofstream(path) << config.dump(2);
}

// --- PrivateLibvirtd ---------------------------------------------------------------------------

PrivateLibvirtd::PrivateLibvirtd(bool listen_tcp) {
  dir_ = MakeTempDir("cpi-rel-lvd");
  for (const char* sub : {"etc", "run", "lib/qemu", "lib/dnsmasq", "cache/qemu", "log"}) {
    fs::create_directories(dir_ + "/" + sub);
  }
  // Only the daemons' own settings: a copy of the whole /etc/libvirt would bring the main
  // daemon's domains, networks and pools along.
  Sh("cp /etc/libvirt/*.conf " + dir_ + "/etc/ && cp -a /etc/libvirt/nwfilter " + dir_ +
     "/etc/ && if [ -d /var/cache/libvirt/qemu/capabilities ]; then cp -a "
     "/var/cache/libvirt/qemu/capabilities " +
     dir_ + "/cache/qemu/; fi");
  uri_ = "qemu+unix:///system?socket=" + dir_ + "/run/libvirt-sock";
  if (listen_tcp) {
    libvirtd_conf_ = ReadAll(dir_ + "/etc/libvirtd.conf");
    ListenOnFreePort();
  }

  std::string script =
      "set -e; mount --bind " + dir_ + "/etc /etc/libvirt; mount --bind " + dir_ +
      "/run /run/libvirt; mount --bind " + dir_ + "/lib/qemu /var/lib/libvirt/qemu; " +
      "mkdir -p /var/lib/libvirt/dnsmasq; mount --bind " + dir_ +
      "/lib/dnsmasq /var/lib/libvirt/dnsmasq; mkdir -p /var/cache/libvirt; mount --bind " + dir_ +
      "/cache /var/cache/libvirt; mkdir -p /var/log/libvirt; mount --bind " + dir_ +
      "/log /var/log/libvirt; touch " + dir_ + "/ns-ready; exec sleep 1000000";
  holder_ = Spawn({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script},
                  "holder.log");
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (!fs::exists(dir_ + "/ns-ready")) {
    if (Clock::now() > deadline) {
      throw std::runtime_error("private mount namespace not ready: " +
                               ReadAll(dir_ + "/holder.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string ns = std::to_string(holder_);
  virtlogd_ = Spawn({"/usr/bin/nsenter", "-t", ns, "-m", "--", "/usr/sbin/virtlogd", "-p",
                     dir_ + "/run/virtlogd.pid"},
                    "virtlogd.out");
  deadline = Clock::now() + std::chrono::seconds(10);
  while (!fs::exists(dir_ + "/run/virtlogd-sock")) {
    if (Clock::now() > deadline) throw std::runtime_error("private virtlogd did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A port picked free can be taken before libvirtd binds it: then it exits, and another is tried.
  for (int attempt = 1;; ++attempt) {
    try {
      Start();
      return;
    } catch (const std::runtime_error&) {
      if (tcp_uri_.empty() || attempt == 5) throw;
      ListenOnFreePort();
    }
  }
}

void PrivateLibvirtd::ListenOnFreePort() {
  int port = FreeLoopbackPort();
  std::ofstream(dir_ + "/etc/libvirtd.conf")
      << libvirtd_conf_ << "\nlisten_tls = 0\nlisten_tcp = 1\ntcp_port = \"" << port
      << "\"\nlisten_addr = \"127.0.0.1\"\nauth_tcp = \"none\"\n";
  tcp_uri_ = "qemu+tcp://127.0.0.1:" + std::to_string(port) + "/system";
}

pid_t PrivateLibvirtd::Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::ofstream(dir_ + "/spawn.in");
  ExecPlan plan(argv, {{"LIBVIRT_LOG_OUTPUTS", "3:file:" + dir_ + "/log/libvirtd.log"}}, dir_);
  plan.in = dir_ + "/spawn.in";
  plan.out = dir_ + "/" + log;
  plan.err = dir_ + "/" + log + ".err";
  return plan.Launch();
}

bool PrivateLibvirtd::Answers() const {
  virt::SilenceDefaultErrorPrinter();
  virConnectPtr c = virConnectOpen(uri_.c_str());
  if (c == nullptr) {
    virResetLastError();
    return false;
  }
  virConnectClose(c);
  return true;
}

void PrivateLibvirtd::WaitUntilAnswering() {
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  while (!Answers()) {
    int status = 0;
    if (waitpid(libvirtd_, &status, WNOHANG) == libvirtd_) {
      libvirtd_ = -1;
      throw std::runtime_error("private libvirtd exited: " + ReadAll(dir_ + "/libvirtd.out.err"));
    }
    if (Clock::now() > deadline) throw std::runtime_error("private libvirtd does not answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

void PrivateLibvirtd::Start() {
  if (libvirtd_ > 0) return;
  std::vector<std::string> argv = {
      "/usr/bin/nsenter",   "-t", std::to_string(holder_),   "-m", "--",
      "/usr/sbin/libvirtd", "-p", dir_ + "/run/libvirtd.pid"};
  if (!tcp_uri_.empty()) argv.push_back("--listen");
  libvirtd_ = Spawn(argv, "libvirtd.out");
  WaitUntilAnswering();
}

void PrivateLibvirtd::Stop(int sig) {
  if (libvirtd_ <= 0) return;
  kill(libvirtd_, sig);
  Reap(libvirtd_, std::chrono::seconds(20));
  libvirtd_ = -1;
}

PrivateLibvirtd::~PrivateLibvirtd() {
  if (libvirtd_ > 0 && Answers()) {
    try {
      virt::RawConnection conn = virt::RawConnection::Open(uri_);
      RemoveDomains(conn);  // the daemon is ours alone: every domain
    } catch (const virt::Error&) {
    }
    virResetLastError();
  }
  Stop(SIGTERM);
  if (virtlogd_ > 0) {
    kill(virtlogd_, SIGTERM);
    Reap(virtlogd_, std::chrono::seconds(5));
  }
  if (holder_ > 0) {
    kill(holder_, SIGKILL);
    Reap(holder_, std::chrono::seconds(5));
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

// --- DaemonWorld -------------------------------------------------------------------------------

DaemonWorld::DaemonWorld(const std::string& uri, const std::string& suite)
    : uri_(uri), id_(util::RandomHex(6)) {
  pool_ = "cpirel-" + suite + "-" + id_;
  network_ = pool_;
  bridge_ = "cpir" + id_;
  pool_dir_ = "/var/lib/libvirt/images/" + pool_;
  scratch_ = "/tmp/" + pool_;
  lock_dir_ = scratch_ + "/locks";
  console_dir_ = scratch_ + "/console";
  fs::create_directories(pool_dir_);
  fs::create_directories(console_dir_);
  chmod(pool_dir_.c_str(), 0755);
  chmod(scratch_.c_str(), 0755);
  chmod(console_dir_.c_str(), 0777);

  virt::RawConnection conn = Connect();
  std::string pool_xml = "<pool type='dir'><name>" + pool_ + "</name><target><path>" + pool_dir_ +
                         "</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolDefineXML(conn.get(), pool_xml.c_str(), 0);
  if (pool == nullptr || virStoragePoolCreate(pool, 0) < 0 ||
      virStoragePoolSetAutostart(pool, 1) < 0) {
    throw virt::Error::Last("creating pool " + pool_);
  }
  virStoragePoolFree(pool);
  std::string net_xml =
      "<network><name>" + network_ + "</name><bridge name='" + bridge_ + "'/></network>";
  virNetworkPtr net = virNetworkDefineXML(conn.get(), net_xml.c_str());
  if (net == nullptr || virNetworkCreate(net) < 0 || virNetworkSetAutostart(net, 1) < 0) {
    throw virt::Error::Last("creating network " + network_);
  }
  virNetworkFree(net);
  config_path_ = scratch_ + "/cpi.json";
  WriteConfig(config_path_, uri_, pool_, network_, lock_dir_, console_dir_);
}

virt::RawConnection DaemonWorld::Connect() const { return virt::RawConnection::Open(uri_); }

std::vector<std::string> DaemonWorld::Volumes() const {
  virt::RawConnection conn = Connect();
  std::vector<std::string> out = PoolVolumeNames(conn, pool_);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> DaemonWorld::Domains() const {
  virt::RawConnection conn = Connect();
  std::vector<std::string> out;
  for (const virt::DomainPtr& d : virt::ListAllDomains(conn.get())) {
    out.push_back(virt::DomainName(d.get()));
  }
  return out;
}

DaemonWorld::~DaemonWorld() {
  try {
    virt::RawConnection conn = Connect();
    RemoveDomains(conn, [this](const std::string& xml) {
      return xml.find(pool_dir_ + "/") != std::string::npos;
    });
    if (std::optional<virt::StoragePoolPtr> pool = conn.FindStoragePool(pool_)) {
      for (const std::string& v : Volumes()) {
        try {
          virt::DeleteVolume(pool->get(), v);
        } catch (...) {
        }
      }
      virStoragePoolDestroy(pool->get());
      virStoragePoolUndefine(pool->get());
    }
    if (std::optional<virt::NetworkPtr> net = conn.FindNetwork(network_)) {
      virNetworkDestroy(net->get());
      virNetworkUndefine(net->get());
    }
  } catch (...) {
  }
  virResetLastError();
  std::error_code ignored;
  fs::remove_all(pool_dir_, ignored);
  fs::remove_all(scratch_, ignored);
}

// --- TmpfsPool ---------------------------------------------------------------------------------

TmpfsPool::TmpfsPool(virt::RawConnection& conn, const std::string& network, size_t size_bytes)
    : conn_(conn) {
  std::string id = util::RandomHex(6);
  pool_ = "cpirel-full-" + id;
  std::string mount_dir = "/var/lib/libvirt/images/" + pool_;
  dir_ = mount_dir + "/pool";
  scratch_ = "/tmp/" + pool_;
  lock_dir_ = scratch_ + "/locks";
  fs::create_directories(mount_dir);
  fs::create_directories(scratch_ + "/console");
  chmod(scratch_.c_str(), 0755);
  chmod((scratch_ + "/console").c_str(), 0777);
  std::string options = "size=" + std::to_string(size_bytes) + ",mode=0755";
  if (mount("tmpfs", mount_dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    throw std::runtime_error(std::string("mounting a tmpfs (needs root): ") + strerror(errno));
  }
  mounted_ = true;
  fs::create_directories(dir_);
  chmod(dir_.c_str(), 0755);
  std::string xml = "<pool type='dir'><name>" + pool_ + "</name><target><path>" + dir_ +
                    "</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolCreateXML(conn_.get(), xml.c_str(), 0);
  if (pool == nullptr) throw virt::Error::Last("creating pool " + pool_);
  virStoragePoolFree(pool);
  config_path_ = scratch_ + "/cpi.json";
  WriteConfig(config_path_, "qemu:///system", pool_, network, lock_dir_, scratch_ + "/console");
}

std::vector<std::string> TmpfsPool::Volumes() {
  std::vector<std::string> out = PoolVolumeNames(conn_, pool_);
  std::sort(out.begin(), out.end());
  return out;
}

size_t TmpfsPool::FreeBytes() const {
  struct statvfs s {};
  statvfs(dir_.c_str(), &s);
  return static_cast<size_t>(s.f_bavail) * s.f_frsize;
}

void TmpfsPool::LeaveFree(size_t free_bytes) {
  // The filler lives beside the pool folder, on the same filesystem: libvirt never lists it.
  std::string filler = dir_ + "/../filler";
  unlink(filler.c_str());
  size_t free_now = FreeBytes();
  if (free_now <= free_bytes) return;
  int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("creating filler");
  int rc = posix_fallocate(fd, 0, static_cast<off_t>(free_now - free_bytes));
  close(fd);
  if (rc != 0) throw std::runtime_error(std::string("filling tmpfs: ") + strerror(rc));
}

TmpfsPool::~TmpfsPool() {
  if (std::optional<virt::StoragePoolPtr> pool = conn_.FindStoragePool(pool_)) {
    for (const std::string& v : Volumes()) {
      try {
        virt::DeleteVolume(pool->get(), v);
      } catch (...) {
      }
    }
    virStoragePoolDestroy(pool->get());
  }
  virResetLastError();
  std::string mount_dir = "/var/lib/libvirt/images/" + pool_;
  if (mounted_) umount2(mount_dir.c_str(), MNT_DETACH);
  std::error_code ignored;
  fs::remove_all(mount_dir, ignored);
  fs::remove_all(scratch_, ignored);
}

// --- PoolWatcher -------------------------------------------------------------------------------

PoolWatcher::PoolWatcher(const std::string& dir) {
  fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0 || inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MODIFY | IN_MOVED_TO) < 0) {
    throw std::runtime_error("inotify on " + dir + ": " + strerror(errno));
  }
}

PoolWatcher::~PoolWatcher() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> PoolWatcher::WaitFor(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout,
    bool on_write) {
  Clock::time_point deadline = Clock::now() + timeout;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(fd_, buf, sizeof(buf));
    for (ssize_t off = 0; off < n;) {
      auto* e = reinterpret_cast<inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->len == 0) continue;
      std::string name = e->name;
      bool wanted = on_write ? (e->mask & IN_MODIFY) != 0 : true;
      if (wanted && match(name)) return name;
    }
  }
}

// --- Inspection --------------------------------------------------------------------------------

bool WaitForAllocated(const std::string& path, uint64_t bytes, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_blocks) * 512 >= bytes) {
      return true;
    }
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> AllMacs(virt::RawConnection& conn) {
  std::vector<std::string> macs;
  for (const virt::DomainPtr& d : virt::ListAllDomains(conn.get())) {
    std::string name = virt::DomainName(d.get());
    std::string text;
    try {
      text = virt::DomainXml(d.get(), name, /*inactive=*/true);
    } catch (...) {
      continue;
    }
    for (std::string mac : xml::Document::Parse(text, name).Strings("//interface/mac/@address")) {
      for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      macs.push_back(mac);
    }
  }
  return macs;
}

std::map<std::string, std::string> DiskTargets(virt::RawConnection& conn, const std::string& domain,
                                               bool inactive) {
  std::map<std::string, std::string> out;
  std::optional<virt::DomainPtr> d = conn.FindDomain(domain);
  if (!d) return out;
  xml::Document doc = xml::Document::Parse(virt::DomainXml(d->get(), domain, inactive), domain);
  int n = static_cast<int>(doc.Number("count(/domain/devices/disk)"));
  for (int i = 1; i <= n; ++i) {
    std::string at = "/domain/devices/disk[" + std::to_string(i) + "]";
    std::string target = doc.String(at + "/target/@dev");
    if (out.count(target) != 0) target += "#duplicate" + std::to_string(i);
    out[target] = doc.String(at + "/serial");
  }
  return out;
}

std::string ErrorType(const json& response) {
  if (!response.contains("error") || !response["error"].is_object()) return "";
  return response["error"].value("type", "");
}

bool OkToRetry(const json& response) {
  return response.contains("error") && response["error"].is_object() &&
         response["error"].value("ok_to_retry", false);
}

json ManualNetwork(const std::string& network, const std::string& ip) {
  return {{"default",
           {{"type", "manual"},
            {"ip", ip},
            {"netmask", "255.255.255.0"},
            {"gateway", ip.substr(0, ip.rfind('.')) + ".1"},  // in ip's /24, as the CPI checks
            {"prefix", "32"},
            {"dns", {"10.0.0.2"}},
            {"default", {"dns", "gateway"}},
            {"cloud_properties", {{"network", network}}}}}};
}

namespace {

// Whether /proc/locks holds a blocked request ("N: -> FLOCK ADVISORY WRITE <pid> ...") of `pid`.
bool WaitsForLock(pid_t pid) {
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string id, arrow, kind, advisory, mode, holder;
    if (fields >> id >> arrow >> kind >> advisory >> mode >> holder && arrow == "->" &&
        holder == std::to_string(pid)) {
      return true;
    }
  }
  return false;
}

bool IsZombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');  // the command name may hold spaces and parentheses
  return paren == std::string::npos || text.compare(paren, 3, ") Z") == 0;
}

}  // namespace

Halted WaitUntilLockWaitOrExit(pid_t pid, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (WaitsForLock(pid)) return Halted::kWaitingForLock;
    if (IsZombie(pid)) return Halted::kExited;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Halted::kNeither;
}

std::string AddStemcellWithSidecar(virt::RawConnection& conn, const std::string& pool_name) {
  std::string cid = util::NewStemcellCid();
  std::optional<virt::StoragePoolPtr> pool = conn.FindStoragePool(pool_name);
  if (!pool) throw std::runtime_error("no pool " + pool_name);
  std::string xml = "<volume><name>" + cid +
                    "</name><capacity unit='bytes'>67108864</capacity><target><format "
                    "type='qcow2'/><permissions><mode>0644</mode></permissions></target></volume>";
  virt::CreateVolume(pool->get(), xml, cid);
  std::string props = R"({"name":"fake","version":"1","disk":64,"disk_format":"qcow2"})";
  std::string props_xml = "<volume><name>" + cid + "-props</name><capacity unit='bytes'>" +
                          std::to_string(props.size()) +
                          "</capacity><target><format type='raw'/></target></volume>";
  virt::StorageVolPtr vol = virt::CreateVolume(pool->get(), props_xml, cid + "-props");
  virt::UploadBytes(conn.get(), vol.get(), props, cid + "-props");
  return cid;
}

}  // namespace cpi::testing::reliability

#include "support/fake_virt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::testing {
namespace {

// libvirt's VIR_ERR_INTERNAL_ERROR / VIR_ERR_NO_DOMAIN / VIR_ERR_NO_STORAGE_VOL, from no
// particular subsystem: never transient.
constexpr int kInternalError = 1;
constexpr int kNoDomain = 42;
constexpr int kNoVolume = 50;
// VIR_ERR_SYSTEM_ERROR from VIR_FROM_RPC: the daemon went away (transient).
constexpr int kSystemError = 38;
constexpr int kFromRpc = 7;

std::string ScopeName(virt::Scope scope) {
  switch (scope) {
    case virt::Scope::kConfig:
      return "config";
    case virt::Scope::kLive:
      return "live";
    case virt::Scope::kLiveAndConfig:
      break;
  }
  return "live+config";
}

// `xml` with `device` added as the last child of <devices>.
std::string WithDevice(const std::string& xml, const std::string& device) {
  size_t at = xml.rfind("</devices>");
  if (at == std::string::npos) return xml;
  return xml.substr(0, at) + device + xml.substr(at);
}

// `xml` without the <disk> element that holds `needle`; unchanged when there is none.
std::string WithoutDisk(const std::string& xml, const std::string& needle) {
  size_t at = xml.find(needle);
  if (at == std::string::npos) return xml;
  size_t begin = xml.rfind("<disk", at);
  size_t end = xml.find("</disk>", at);
  if (begin == std::string::npos || end == std::string::npos) return xml;
  return xml.substr(0, begin) + xml.substr(end + 7);
}

class FakeVolume final : public virt::Volume {
 public:
  FakeVolume(FakeHypervisor& hv, std::string name) : hv_(hv), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  std::string Path() const override { return Get().path; }
  std::string Xml() const override {
    Get();
    return hv_.VolumeXml(name_);
  }
  virt::VolumeInfo Info() const override { return {Get().capacity, Get().content.size()}; }
  void Resize(uint64_t capacity_bytes) override {
    hv_.Record("resize_volume " + name_);
    Get().capacity = capacity_bytes;
  }
  void Upload(const virt::ChunkSource& source, bool) override {
    hv_.Record("upload " + name_);
    std::string content;
    char buf[4096];
    for (size_t n; (n = source(buf, sizeof buf)) > 0;) content.append(buf, n);
    Get().content = std::move(content);
  }
  void UploadBytes(std::string_view bytes) override {
    hv_.Record("upload " + name_);
    Get().content = std::string(bytes);
  }
  std::string Download(uint64_t max_bytes) const override {
    const std::string& content = Get().content;
    return max_bytes == 0 ? content : content.substr(0, max_bytes);
  }
  // Runs of 4 KiB zero blocks arrive as holes with `sparse`, the rest in chunks of `hv_.chunk`.
  void DownloadTo(const virt::ChunkSink& sink, bool sparse) const override {
    hv_.Record("download " + name_);
    const std::string content = Get().content;
    std::string_view rest(content);
    constexpr size_t kBlock = 4096;
    auto zero = [](std::string_view block) {
      return block.find_first_not_of('\0') == std::string_view::npos;
    };
    while (!rest.empty()) {
      size_t hole = 0;
      while (sparse && hole < rest.size() && zero(rest.substr(hole, kBlock))) hole += kBlock;
      hole = std::min(hole, rest.size());
      if (hole > 0) {
        sink(nullptr, hole);
      } else {
        size_t n = std::min(hv_.chunk, rest.size());
        sink(rest.data(), n);
        hole = n;
      }
      rest.remove_prefix(hole);
    }
  }
  void UploadFrom(const virt::ChunkWriter& writer) override {
    hv_.Record("upload " + name_);
    std::string content;
    writer([&](const char* data, uint64_t size) {
      if (data == nullptr) {
        hv_.holes_received += size;
        content.append(size, '\0');
      } else {
        content.append(data, size);
      }
    });
    Get().content = std::move(content);
  }

 private:
  FakeHypervisor::Volume& Get() const {
    auto it = hv_.volumes.find(name_);
    if (it == hv_.volumes.end()) {
      throw virt::Error("volume '" + name_ + "': no such volume", kNoVolume, 0);
    }
    return it->second;
  }

  FakeHypervisor& hv_;
  std::string name_;
};

class FakePool final : public virt::Pool {
 public:
  explicit FakePool(FakeHypervisor& hv) : hv_(hv) {}

  const std::string& name() const override { return hv_.pool_name; }
  bool Active() const override { return true; }
  std::unique_ptr<virt::Volume> FindVolume(const std::string& name) override {
    if (hv_.volumes.count(name) == 0) return nullptr;
    return std::make_unique<FakeVolume>(hv_, name);
  }
  std::unique_ptr<virt::Volume> CreateVolume(const std::string& xml,
                                             const std::string& name) override {
    hv_.Record("create_volume " + name);
    return Make(xml, name);
  }
  std::unique_ptr<virt::Volume> CloneVolume(const std::string& xml, const virt::Volume& source,
                                            const std::string& name) override {
    hv_.Record("clone_volume " + source.name() + " " + name);
    std::string content = source.Download(0);
    std::unique_ptr<virt::Volume> copy = Make(xml, name);
    hv_.volumes[name].content = std::move(content);
    return copy;
  }
  bool DeleteVolume(const std::string& name) override {
    hv_.Record("delete_volume " + name);
    return hv_.volumes.erase(name) != 0;
  }
  void Refresh() override {}
  std::vector<virt::VolumeDescription> ListVolumes() override {
    std::vector<virt::VolumeDescription> out;
    for (const auto& [name, volume] : hv_.volumes) out.push_back({name, hv_.VolumeXml(name)});
    return out;
  }
  virt::PoolSpace Space() const override {
    hv_.Read("pool_space " + hv_.pool_name);
    uint64_t used = 0;
    for (const auto& [name, volume] : hv_.volumes) used += volume.content.size();
    return {hv_.pool_capacity, used, hv_.pool_capacity - std::min(used, hv_.pool_capacity)};
  }

 private:
  // A new volume as `xml` describes it (capacity, format, backing file).
  std::unique_ptr<virt::Volume> Make(const std::string& xml, const std::string& name) {
    if (hv_.volumes.count(name) != 0) {
      throw virt::Error("creating volume '" + name + "': volume exists", kInternalError, 0);
    }
    xml::Document doc = xml::Document::Parse(xml, "volume " + name);
    std::string format = doc.String("/volume/target/format/@type");
    hv_.AddVolume(name, static_cast<uint64_t>(doc.Number("number(/volume/capacity)")),
                  format.empty() ? "raw" : format, doc.String("/volume/backingStore/path"));
    return std::make_unique<FakeVolume>(hv_, name);
  }

  FakeHypervisor& hv_;
};

class FakeDomain final : public virt::Domain {
 public:
  FakeDomain(FakeHypervisor& hv, std::string name) : hv_(hv), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  void Start() override {
    hv_.Record("start_domain " + name_);
    Get().live_xml = Get().config_xml;
  }
  void Destroy() override {
    hv_.Record("destroy_domain " + name_);
    if (hv_.domains.count(name_)) Get().live_xml.clear();
  }
  void Undefine() override {
    hv_.Record("undefine_domain " + name_);
    hv_.domains.erase(name_);
  }
  void Reset() override {
    hv_.Record("reset_domain " + name_);
    Get();
  }
  void Resume() override {
    hv_.Record("resume_domain " + name_);
    Get();
  }
  virt::DomainState State() const override {
    return Active() ? virt::DomainState::kRunning : virt::DomainState::kShutoff;
  }
  bool Active() const override { return !Get().live_xml.empty(); }
  std::string Xml(bool inactive) const override {
    const FakeHypervisor::Domain& d = Get();
    return inactive || d.live_xml.empty() ? d.config_xml : d.live_xml;
  }
  void SetMetadata(const std::string& xml, const std::string&, const std::string& uri) override {
    hv_.Record("set_metadata " + name_ + " " + uri);
    if (xml.empty()) {
      Get().metadata.erase(uri);
    } else {
      Get().metadata[uri] = xml;
    }
  }
  std::optional<std::string> Metadata(const std::string& uri) const override {
    const FakeHypervisor::Domain& d = Get();
    auto it = d.metadata.find(uri);
    if (it == d.metadata.end()) return std::nullopt;
    return it->second;
  }
  void SetTitle(const std::string&) override {
    hv_.Record("set_title " + name_);
    Get();
  }
  void AttachDevice(const std::string& xml, virt::Scope scope, const std::string&) override {
    hv_.Record("attach_device " + name_ + " " + ScopeName(scope));
    FakeHypervisor::Domain& d = Get();
    if (scope != virt::Scope::kLive) d.config_xml = WithDevice(d.config_xml, xml);
    if (scope != virt::Scope::kConfig) d.live_xml = WithDevice(d.live_xml, xml);
  }
  void UpdateDevice(const std::string&, virt::Scope scope, const std::string&) override {
    hv_.Record("update_device " + name_ + " " + ScopeName(scope));
    Get();
  }
  virt::DetachRequest DetachAlias(const std::string& alias, virt::Scope scope,
                                  const std::string&) override {
    hv_.Record("detach_device " + name_ + " " + ScopeName(scope) + " " + alias);
    return Remove("name='" + alias + "'", scope);
  }
  virt::DetachRequest DetachDevice(const std::string& xml, virt::Scope scope,
                                   const std::string&) override {
    hv_.Record("detach_device " + name_ + " " + ScopeName(scope));
    return Remove(xml, scope);
  }
  void BeginPushBackup(const std::string&) override {
    hv_.Record("begin_backup " + name_);
    Get();
  }
  virt::JobProgress Job() const override {
    Get();
    return {};
  }
  virt::CompletedJob LastCompletedJob() override {
    Get();
    return {true, true, "backup", "", 0};
  }
  void AbortJob() override { hv_.Record("abort_job " + name_); }

 private:
  FakeHypervisor::Domain& Get() const {
    auto it = hv_.domains.find(name_);
    if (it == hv_.domains.end()) {
      throw virt::Error("domain '" + name_ + "': no such domain", kNoDomain, 0);
    }
    return it->second;
  }

  virt::DetachRequest Remove(const std::string& needle, virt::Scope scope) {
    FakeHypervisor::Domain& d = Get();
    bool found = false;
    for (std::string* xml : {&d.config_xml, &d.live_xml}) {
      bool wanted =
          xml == &d.config_xml ? scope != virt::Scope::kLive : scope != virt::Scope::kConfig;
      if (!wanted) continue;
      std::string after = WithoutDisk(*xml, needle);
      found = found || after != *xml;
      *xml = std::move(after);
    }
    return found ? virt::DetachRequest::kSent : virt::DetachRequest::kNotFound;
  }

  FakeHypervisor& hv_;
  std::string name_;
};

class FakeConnectionImpl final : public virt::Connection {
 public:
  explicit FakeConnectionImpl(FakeHypervisor& hv) : hv_(hv) {}

  const std::string& uri() const override { return hv_.uri; }
  std::unique_ptr<virt::Domain> FindDomain(const std::string& name) override {
    if (hv_.domains.count(name) == 0) return nullptr;
    return std::make_unique<FakeDomain>(hv_, name);
  }
  std::unique_ptr<virt::Domain> FindDomainByUuid(const std::string&) override { return nullptr; }
  std::unique_ptr<virt::Pool> FindPool(const std::string& name) override {
    if (name != hv_.pool_name) return nullptr;
    return std::make_unique<FakePool>(hv_);
  }
  bool HasNetwork(const std::string& name) override { return hv_.networks.count(name) != 0; }
  std::optional<std::string> NetworkXml(const std::string& name) override {
    if (hv_.networks.count(name) == 0) return std::nullopt;
    return "<network><name>" + name + "</name></network>";  // no <ip>: not checked
  }
  std::unique_ptr<virt::Domain> DefineDomain(const std::string& xml,
                                             const std::string& name) override {
    hv_.Record("define_domain " + name);
    xml::Document::Parse(xml, "domain " + name);  // libvirt refuses what is not XML
    hv_.domains[name].config_xml = xml;
    return std::make_unique<FakeDomain>(hv_, name);
  }
  std::vector<virt::DomainDescription> ListDomains() override {
    std::vector<virt::DomainDescription> out;
    for (const auto& [name, d] : hv_.domains) out.push_back({name, d.config_xml, d.live_xml});
    return out;
  }
  std::vector<virt::DomainDescription> ListDomainDefinitions(
      const std::function<bool(const std::string& name)>& read) override {
    std::vector<virt::DomainDescription> out;
    for (const auto& [name, d] : hv_.domains) {
      bool wanted = read(name);
      if (wanted) hv_.definitions_read.push_back(name);
      out.push_back({name, wanted ? d.config_xml : "", ""});
    }
    return out;
  }
  bool OffersKvm() override { return false; }
  std::string CapabilitiesXml() override { return "<capabilities/>"; }
  std::string LibraryVersion() override { return hv_.library_version; }
  std::string HypervisorVersion() override { return hv_.hypervisor_version; }
  uint64_t FreeMemoryBytes() override {
    hv_.Read("free_memory");
    return hv_.free_memory;
  }

 private:
  FakeHypervisor& hv_;
};

}  // namespace

std::string FakeHypervisor::AddVolume(const std::string& name, uint64_t capacity,
                                      const std::string& format, const std::string& backing_path) {
  Volume& v = volumes[name];
  v.path = pool_dir + "/" + name;
  v.format = format;
  v.backing_path = backing_path;
  v.capacity = capacity;
  return v.path;
}

void FakeHypervisor::Record(const std::string& call) {
  calls.push_back(call);
  Read(call);
  for (const std::string& pattern : lose_connection_after) {
    if (std::regex_search(call, std::regex(pattern))) connection_lost = true;
  }
}

void FakeHypervisor::Read(const std::string& call) const {
  if (connection_lost) {
    throw virt::Error(call + ": End of file while reading data", kSystemError, kFromRpc);
  }
  for (const std::string& pattern : fail) {
    if (std::regex_search(call, std::regex(pattern))) {
      throw virt::Error(call + ": injected failure", kInternalError, 0);
    }
  }
}

std::vector<std::string> FakeHypervisor::CallsStartingWith(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const std::string& call : calls) {
    if (call.rfind(prefix, 0) == 0) out.push_back(call);
  }
  return out;
}

std::string FakeHypervisor::VolumeXml(const std::string& name) const {
  const Volume& v = volumes.at(name);
  std::string xml = "<volume><name>" + name + "</name><capacity unit='bytes'>" +
                    std::to_string(v.capacity) + "</capacity><target><path>" + v.path +
                    "</path><format type='" + v.format + "'/></target>";
  if (!v.backing_path.empty()) {
    xml += "<backingStore><path>" + v.backing_path + "</path></backingStore>";
  }
  return xml + "</volume>";
}

std::unique_ptr<virt::Connection> FakeConnection(FakeHypervisor& hypervisor) {
  return std::make_unique<FakeConnectionImpl>(hypervisor);
}

std::unique_ptr<virt::Connection> FakeReconnect(FakeHypervisor& hypervisor) {
  hypervisor.calls.push_back("connect");
  if (hypervisor.refuse_connects > 0) {
    --hypervisor.refuse_connects;
    throw virt::Error("connecting: Failed to connect socket: No such file or directory",
                      kSystemError, kFromRpc);
  }
  hypervisor.connection_lost = false;
  return FakeConnection(hypervisor);
}

FakeWorld::FakeWorld()
    : lock_dir(std::filesystem::path(::testing::TempDir()) /
               ("cpi-fake-" + std::to_string(getpid()) + "-" + util::RandomHex(6))) {
  std::filesystem::create_directories(lock_dir);
  config.libvirt.uri = hv.uri;
  config.libvirt.storage_pool = hv.pool_name;
  config.lock_dir = lock_dir.string();
}

FakeWorld::~FakeWorld() {
  std::error_code ignored;
  std::filesystem::remove_all(lock_dir, ignored);
}

FakeCloud::FakeCloud(size_t hosts)
    : lock_dir(std::filesystem::path(::testing::TempDir()) /
               ("cpi-fake-cloud-" + std::to_string(getpid()) + "-" + util::RandomHex(6))) {
  std::filesystem::create_directories(lock_dir);
  config.multi_host = true;
  config.lock_dir = lock_dir.string();
  for (size_t i = 0; i < hosts; ++i) {
    std::string letter(1, static_cast<char>('a' + i));
    auto hv = std::make_unique<FakeHypervisor>();
    hv->uri = "fake://kvm-" + letter + "/system";
    hv->pool_dir = "/fake/pool-" + letter;
    config::HostConfig spec;
    spec.name = "kvm-" + letter;
    spec.key = "g" + std::string(1, static_cast<char>('h' + i));
    spec.libvirt.uri = hv->uri;
    spec.libvirt.storage_pool = hv->pool_name;
    config.hosts.push_back(spec);
    hvs.push_back(std::move(hv));
    hypervisor_of.push_back(i);
  }
  config.libvirt = config.hosts.front().libvirt;
}

FakeCloud::~FakeCloud() {
  std::error_code ignored;
  std::filesystem::remove_all(lock_dir, ignored);
}

host::Host FakeCloud::Open(const config::HostConfig& spec) {
  for (size_t i = 0; i < config.hosts.size(); ++i) {
    if (config.hosts[i].name != spec.name) continue;
    FakeHypervisor& hv = *hvs.at(hypervisor_of.at(i));
    hv.calls.push_back("connect");
    if (down.count(spec.name) != 0) {
      throw virt::Error("connecting to libvirt host '" + spec.name +
                            "': Cannot recv data: Connection reset by peer",
                        kSystemError, kFromRpc);
    }
    return host::Host(
        config, FakeConnection(hv), [&hv] { return FakeReconnect(hv); }, &config.hosts[i]);
  }
  throw std::logic_error("no fake host " + spec.name);
}

}  // namespace cpi::testing

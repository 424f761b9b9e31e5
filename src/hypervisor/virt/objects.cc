// The hypervisor objects of objects.h over libvirt: each class owns its handle and forwards to
// the raw wrappers (connection.h, domain.h, storage.h, disk_ops.h). Pools, volumes
// and domains hold their connection's handle without owning it: they never outlive the
// Connection they came from (host::Host owns it for the whole call).
#include "bosh_libvirt_cpi/virt/objects.h"

#include "bosh_libvirt_cpi/virt/connection.h"
#include "bosh_libvirt_cpi/virt/disk_ops.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/storage.h"

namespace cpi::virt {
namespace {

class LibvirtVolume final : public Volume {
 public:
  LibvirtVolume(virConnectPtr conn, StorageVolPtr vol, std::string name)
      : conn_(conn), vol_(std::move(vol)), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  std::string Path() const override { return VolumePath(vol_.get(), name_); }
  std::string Xml() const override { return VolumeXml(vol_.get(), name_); }
  VolumeInfo Info() const override { return GetVolumeInfo(vol_.get(), name_); }
  void Resize(uint64_t capacity_bytes) override { ResizeVolume(vol_.get(), capacity_bytes, name_); }
  void Upload(const ChunkSource& source, bool sparse) override {
    UploadVolume(conn_, vol_.get(), source, name_, sparse);
  }
  void UploadBytes(std::string_view bytes) override {
    virt::UploadBytes(conn_, vol_.get(), bytes, name_);
  }
  std::string Download(uint64_t max_bytes) const override {
    return DownloadVolume(conn_, vol_.get(), name_, max_bytes);
  }
  void DownloadTo(const ChunkSink& sink, bool sparse) const override {
    DownloadVolumeTo(conn_, vol_.get(), sink, name_, sparse);
  }
  void UploadFrom(const ChunkWriter& writer) override {
    UploadVolumeFrom(conn_, vol_.get(), writer, name_);
  }

  virStorageVolPtr handle() const { return vol_.get(); }

 private:
  virConnectPtr conn_;
  StorageVolPtr vol_;
  std::string name_;
};

class LibvirtPool final : public Pool {
 public:
  LibvirtPool(const RawConnection& conn, StoragePoolPtr pool, std::string name)
      : conn_(conn), pool_(std::move(pool)), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  bool Active() const override { return PoolActive(pool_.get(), name_); }
  std::unique_ptr<Volume> FindVolume(const std::string& name) override {
    std::optional<StorageVolPtr> vol = conn_.FindVolume(pool_.get(), name);
    if (!vol) return nullptr;
    return Wrap(std::move(*vol), name);
  }
  std::unique_ptr<Volume> CreateVolume(const std::string& xml, const std::string& name) override {
    return Wrap(virt::CreateVolume(pool_.get(), xml, name), name);
  }
  std::unique_ptr<Volume> CloneVolume(const std::string& xml, const Volume& source,
                                      const std::string& name) override {
    virStorageVolPtr from = static_cast<const LibvirtVolume&>(source).handle();
    return Wrap(virt::CloneVolume(pool_.get(), xml, from, name), name);
  }
  bool DeleteVolume(const std::string& name) override {
    return virt::DeleteVolume(pool_.get(), name);
  }
  void Refresh() override { RefreshPool(pool_.get(), name_); }
  std::vector<VolumeDescription> ListVolumes() override {
    return ListVolumeDescriptions(pool_.get(), name_);
  }
  PoolSpace Space() const override { return GetPoolSpace(pool_.get(), name_); }

 private:
  std::unique_ptr<Volume> Wrap(StorageVolPtr vol, const std::string& name) {
    return std::make_unique<LibvirtVolume>(conn_.get(), std::move(vol), name);
  }

  const RawConnection& conn_;
  StoragePoolPtr pool_;
  std::string name_;
};

class LibvirtDomain final : public Domain {
 public:
  LibvirtDomain(DomainPtr dom, std::string name) : dom_(std::move(dom)), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  void Start() override { StartDomain(dom_.get(), name_); }
  void Destroy() override { DestroyDomain(dom_.get(), name_); }
  void Undefine() override { UndefineDomain(dom_.get(), name_); }
  void Reset() override { ResetDomain(dom_.get(), name_); }
  void Resume() override { ResumeDomain(dom_.get(), name_); }
  DomainState State() const override { return GetDomainState(dom_.get(), name_); }
  bool Active() const override { return DomainActive(dom_.get(), name_); }
  std::string Xml(bool inactive) const override { return DomainXml(dom_.get(), name_, inactive); }
  void SetMetadata(const std::string& xml, const std::string& key,
                   const std::string& uri) override {
    SetDomainMetadata(dom_.get(), xml, key, uri, name_);
  }
  std::optional<std::string> Metadata(const std::string& uri) const override {
    return GetDomainMetadata(dom_.get(), uri, name_);
  }
  void SetTitle(const std::string& title) override { SetDomainTitle(dom_.get(), title, name_); }
  void AttachDevice(const std::string& xml, Scope scope, const std::string& what) override {
    AttachDeviceIn(dom_.get(), xml, scope, what);
  }
  void UpdateDevice(const std::string& xml, Scope scope, const std::string& what) override {
    UpdateDeviceIn(dom_.get(), xml, scope, what);
  }
  DetachRequest DetachAlias(const std::string& alias, Scope scope,
                            const std::string& what) override {
    return DetachAliasIn(dom_.get(), alias, scope, what);
  }
  DetachRequest DetachDevice(const std::string& xml, Scope scope,
                             const std::string& what) override {
    return DetachDeviceIn(dom_.get(), xml, scope, what);
  }
  void BeginPushBackup(const std::string& backup_xml) override {
    virt::BeginPushBackup(dom_.get(), backup_xml, name_);
  }
  JobProgress Job() const override { return GetJobProgress(dom_.get(), name_); }
  CompletedJob LastCompletedJob() override { return GetCompletedJob(dom_.get(), name_); }
  void AbortJob() override { virt::AbortJob(dom_.get(), name_); }

 private:
  DomainPtr dom_;
  std::string name_;
};

class LibvirtConnection final : public Connection {
 public:
  explicit LibvirtConnection(RawConnection conn) : conn_(std::move(conn)) {}

  const std::string& uri() const override { return conn_.uri(); }
  std::unique_ptr<Domain> FindDomain(const std::string& name) override {
    std::optional<DomainPtr> dom = conn_.FindDomain(name);
    if (!dom) return nullptr;
    return std::make_unique<LibvirtDomain>(std::move(*dom), name);
  }
  std::unique_ptr<Domain> FindDomainByUuid(const std::string& uuid) override {
    std::optional<DomainPtr> dom = virt::FindDomainByUuid(conn_.get(), uuid);
    if (!dom) return nullptr;
    std::string name = DomainName(dom->get());
    return std::make_unique<LibvirtDomain>(std::move(*dom), std::move(name));
  }
  std::unique_ptr<Pool> FindPool(const std::string& name) override {
    std::optional<StoragePoolPtr> pool = conn_.FindStoragePool(name);
    if (!pool) return nullptr;
    return std::make_unique<LibvirtPool>(conn_, std::move(*pool), name);
  }
  bool HasNetwork(const std::string& name) override { return conn_.FindNetwork(name).has_value(); }
  std::optional<std::string> NetworkXml(const std::string& name) override {
    std::optional<NetworkPtr> net = conn_.FindNetwork(name);
    if (!net) return std::nullopt;
    CString xml(virNetworkGetXMLDesc(net->get(), 0));
    if (!xml) throw Error::Last("reading the definition of network '" + name + "'");
    return std::string(xml.get());
  }
  std::unique_ptr<Domain> DefineDomain(const std::string& xml, const std::string& name) override {
    return std::make_unique<LibvirtDomain>(virt::DefineDomain(conn_.get(), xml, name), name);
  }
  std::vector<DomainDescription> ListDomains() override {
    return ListDomainDescriptions(conn_.get());
  }
  std::vector<DomainDescription> ListDomainDefinitions(
      const std::function<bool(const std::string& name)>& read) override {
    std::vector<DomainDescription> out;
    for (const DomainPtr& dom : ListAllDomains(conn_.get())) {
      DomainDescription d{DomainName(dom.get()), "", ""};
      if (!read(d.name)) {
        out.push_back(std::move(d));
        continue;
      }
      try {
        d.config_xml = DomainXml(dom.get(), d.name, /*inactive=*/true);
      } catch (const Error&) {
        continue;  // deleted meanwhile
      }
      out.push_back(std::move(d));
    }
    return out;
  }
  bool OffersKvm() override { return conn_.OffersKvm(); }
  std::string CapabilitiesXml() override { return conn_.CapabilitiesXml(); }
  std::string LibraryVersion() override { return conn_.LibraryVersion(); }
  std::string HypervisorVersion() override { return conn_.HypervisorVersion(); }
  uint64_t FreeMemoryBytes() override { return conn_.FreeMemoryBytes(); }

 private:
  RawConnection conn_;
};

}  // namespace

std::unique_ptr<Connection> Connect(const std::string& uri, int timeout_seconds) {
  return std::make_unique<LibvirtConnection>(RawConnection::Open(uri, timeout_seconds));
}

void CopyVolume(const Volume& from, Volume& to) {
  try {
    to.UploadFrom([&](const ChunkSink& sink) { from.DownloadTo(sink, /*sparse=*/true); });
  } catch (const Error& e) {
    throw Error("copying volume '" + from.name() + "' to '" + to.name() + "': " + e.what(),
                e.code(), e.domain());
  }
}

}  // namespace cpi::virt

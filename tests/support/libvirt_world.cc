#include "support/libvirt_world.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/storage.h"

namespace cpi::testing {
namespace {

void Check(bool ok, const std::string& what) {
  if (!ok) throw virt::Error::Last(what);
}

}  // namespace

std::vector<std::string> RemoveDomains(
    virt::RawConnection& conn, const std::function<bool(const std::string& config_xml)>& ours) {
  std::vector<std::string> removed;
  try {
    for (const virt::DomainPtr& dom : virt::ListAllDomains(conn.get())) {
      std::string name = virt::DomainName(dom.get());
      try {
        if (ours && !ours(virt::DomainXml(dom.get(), name, /*inactive=*/true))) continue;
        virt::DestroyDomain(dom.get(), name);
        virt::UndefineDomain(dom.get(), name);
        removed.push_back(name);
      } catch (const virt::Error&) {
        // gone meanwhile, or the daemon is going away: nothing left to remove then
      }
    }
  } catch (const virt::Error&) {
  }
  virResetLastError();
  return removed;
}

bool LibvirtAvailable() {
  virt::SilenceDefaultErrorPrinter();
  virConnectPtr c = virConnectOpen("qemu:///system");
  if (c == nullptr) return false;
  virConnectClose(c);
  return true;
}

LibvirtWorld::LibvirtWorld(const std::string& suite)
    : id_(util::RandomHex(6)), conn_(virt::RawConnection::Open("qemu:///system")) {
  pool_ = "cpitest-" + suite + "-" + id_;
  network_ = "cpitest-" + suite + "-" + id_;
  bridge_ = "cpit" + id_;  // bridge names are at most 15 characters
  // 10.200-254.x: a /24 picked from the random id; collisions with other suites are unlikely and
  // detected (network start fails).
  unsigned v = std::stoul(id_.substr(0, 4), nullptr, 16);
  subnet_prefix_ = "10." + std::to_string(200 + v % 50) + "." + std::to_string((v >> 6) % 250);
  pool_dir_ = "/var/lib/libvirt/images/" + pool_;
  scratch_ = "/tmp/" + pool_;
  lock_dir_ = scratch_ + "/locks";
  console_dir_ = scratch_ + "/console";
  boost::filesystem::create_directories(pool_dir_);
  boost::filesystem::create_directories(console_dir_);
  chmod(pool_dir_.c_str(), 0755);
  chmod(scratch_.c_str(), 0755);
  chmod(console_dir_.c_str(), 0777);

  std::string pool_xml = "<pool type='dir'><name>" + pool_ + "</name><target><path>" + pool_dir_ +
                         "</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolCreateXML(conn_.get(), pool_xml.c_str(), 0);
  Check(pool != nullptr, "creating test pool " + pool_);
  virStoragePoolFree(pool);

  std::string net_xml = "<network><name>" + network_ + "</name><bridge name='" + bridge_ +
                        "'/><ip address='" + subnet_prefix_ +
                        ".1' netmask='255.255.255.0'/></network>";
  virNetworkPtr net = virNetworkCreateXML(conn_.get(), net_xml.c_str());
  Check(net != nullptr, "creating test network " + network_);
  virNetworkFree(net);

  config_path_ = scratch_ + "/cpi.json";
  std::ofstream(config_path_) << ConfigJson();
}

std::string LibvirtWorld::ConfigJson() const {
  nlohmann::json config = {
      {"libvirt",
       {{"uri", uri_},
        {"storage_pool", pool_},
        {"network", network_},
        {"domain_type", "qemu"},
        {"console_log_dir", console_dir_}}},
      {"agent", {{"mbus", "nats://" + subnet_prefix_ + ".1:4222"}, {"ntp", {"ntp.example"}}}},
      {"lock_dir", lock_dir_}};
  return config.dump(2);
}

std::vector<std::string> PoolVolumeNames(virt::RawConnection& conn, const std::string& pool_name) {
  std::vector<std::string> out;
  std::optional<virt::StoragePoolPtr> pool = conn.FindStoragePool(pool_name);
  if (!pool) return out;
  virStoragePoolRefresh(pool->get(), 0);
  virStorageVolPtr* vols = nullptr;
  int n = virStoragePoolListAllVolumes(pool->get(), &vols, 0);
  for (int i = 0; i < n; ++i) {
    out.emplace_back(virStorageVolGetName(vols[i]));
    virStorageVolFree(vols[i]);
  }
  free(vols);
  virResetLastError();
  return out;
}

std::vector<std::string> LibvirtWorld::Volumes() { return PoolVolumeNames(conn_, pool_); }

std::vector<std::string> LibvirtWorld::DomainsNamed(const std::string& needle) {
  std::vector<std::string> out;
  virDomainPtr* doms = nullptr;
  int n = virConnectListAllDomains(conn_.get(), &doms, 0);
  for (int i = 0; i < n; ++i) {
    std::string name = virDomainGetName(doms[i]);
    if (name.find(needle) != std::string::npos) out.push_back(name);
    virDomainFree(doms[i]);
  }
  free(doms);
  return out;
}

void LibvirtWorld::RemoveDomain(const std::string& name) {
  std::optional<virt::DomainPtr> dom = conn_.FindDomain(name);
  if (!dom) return;
  virDomainDestroy(dom->get());
  virDomainUndefineFlags(dom->get(), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM |
                                         VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
  virResetLastError();
}

LibvirtWorld::~LibvirtWorld() {
  // Domains: only those whose volumes live in our pool (the CPI names them vm-<uuid>; we find
  // them by their disks' paths).
  RemoveDomains(conn_, [this](const std::string& xml) {
    return xml.find(pool_dir_ + "/") != std::string::npos ||
           xml.find("'" + pool_ + "'") != std::string::npos;
  });
  if (std::optional<virt::StoragePoolPtr> pool = conn_.FindStoragePool(pool_)) {
    for (const std::string& vol : Volumes()) {
      try {
        virt::DeleteVolume(pool->get(), vol);
      } catch (...) {
      }
    }
    virStoragePoolDestroy(pool->get());
  }
  if (std::optional<virt::NetworkPtr> net = conn_.FindNetwork(network_)) {
    virNetworkDestroy(net->get());
  }
  virResetLastError();
  boost::system::error_code ec;
  boost::filesystem::remove_all(pool_dir_, ec);
  boost::filesystem::remove_all(scratch_, ec);
}

TmpfsPool::TmpfsPool(virt::RawConnection& conn, const std::string& size)
    : conn_(conn),
      name_("cpitest-full-" + util::RandomHex(6)),
      dir_("/var/lib/libvirt/images/" + name_) {
  boost::filesystem::create_directories(dir_);
  if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) != 0) {
    boost::filesystem::remove(dir_);
    return;
  }
  mounted_ = true;
  std::string pool_xml = "<pool type='dir'><name>" + name_ + "</name><target><path>" + dir_ +
                         "</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolCreateXML(conn_.get(), pool_xml.c_str(), 0);
  Check(pool != nullptr, "creating pool " + name_);
  virStoragePoolFree(pool);
}

TmpfsPool::~TmpfsPool() {
  if (std::optional<virt::StoragePoolPtr> pool = conn_.FindStoragePool(name_)) {
    virStoragePoolDestroy(pool->get());
  }
  virResetLastError();
  if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  boost::system::error_code ignored;
  boost::filesystem::remove(dir_, ignored);
}

std::vector<std::string> TmpfsPool::Volumes() { return PoolVolumeNames(conn_, name_); }

}  // namespace cpi::testing

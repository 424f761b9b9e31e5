#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/virt/connection.h"

namespace cpi::testing {

// Names of the volumes in `pool` on `conn` right now (after a refresh), in libvirt's order;
// empty when the pool does not exist. Leaves no libvirt error set.
std::vector<std::string> PoolVolumeNames(virt::RawConnection& conn, const std::string& pool);

// Destroys and undefines every domain on `conn` whose persistent definition `ours` accepts (every
// domain when `ours` is empty); returns their names. Domains that vanish meanwhile are skipped,
// failures ignored (it runs in destructors); leaves no libvirt error set.
std::vector<std::string> RemoveDomains(
    virt::RawConnection& conn, const std::function<bool(const std::string& config_xml)>& ours = {});

// The private world of one integration suite on the machine's real libvirtd (qemu:///system):
// a `dir` storage pool in its own folder and an isolated network (no forwarding, no DHCP) with
// unique names, bridge and subnet, plus a CPI config file pointing at them with domain_type
// `qemu` (TCG; KVM here cannot boot a kernel). Everything it made, and every domain and volume
// created in its pool, is removed on destruction; it never touches other objects.
class LibvirtWorld {
 public:
  explicit LibvirtWorld(const std::string& suite);
  ~LibvirtWorld();
  LibvirtWorld(const LibvirtWorld&) = delete;
  LibvirtWorld& operator=(const LibvirtWorld&) = delete;

  const std::string& uri() const { return uri_; }
  const std::string& pool() const { return pool_; }
  const std::string& pool_dir() const { return pool_dir_; }
  const std::string& network() const { return network_; }
  const std::string& subnet_prefix() const { return subnet_prefix_; }  // e.g. "10.213.7"
  const std::string& config_path() const { return config_path_; }
  const std::string& lock_dir() const { return lock_dir_; }
  const std::string& console_dir() const { return console_dir_; }
  virt::RawConnection& conn() { return conn_; }

  // The config file's JSON (to modify and write elsewhere).
  std::string ConfigJson() const;

  // Names of the volumes in the pool right now (after a refresh).
  std::vector<std::string> Volumes();
  // Names of all domains whose name contains `needle`.
  std::vector<std::string> DomainsNamed(const std::string& needle);

  // Destroys and undefines a domain this suite created (by name); ignores absence.
  void RemoveDomain(const std::string& name);

 private:
  std::string uri_ = "qemu:///system";
  std::string id_;
  std::string pool_, pool_dir_, network_, bridge_, subnet_prefix_;
  std::string config_path_, lock_dir_, console_dir_, scratch_;
  virt::RawConnection conn_;
};

// A transient `dir` pool on its own tmpfs of `size` (mount's size=, e.g. "4m") under
// /var/lib/libvirt/images: a pool that fills up. Pool, mount and folder are removed on
// destruction. mounted() is false when the tmpfs cannot be mounted (not root): tests skip then.
class TmpfsPool {
 public:
  TmpfsPool(virt::RawConnection& conn, const std::string& size);
  ~TmpfsPool();
  TmpfsPool(const TmpfsPool&) = delete;
  TmpfsPool& operator=(const TmpfsPool&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }
  // Names of its volumes right now (after a refresh).
  std::vector<std::string> Volumes();

 private:
  virt::RawConnection& conn_;
  std::string name_, dir_;
  bool mounted_ = false;
};

// True when qemu:///system answers; integration suites fail (not skip) without it, because
// .ci/run starts libvirtd itself.
bool LibvirtAvailable();

}  // namespace cpi::testing

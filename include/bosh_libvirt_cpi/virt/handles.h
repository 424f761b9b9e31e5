#pragma once

#include <memory>

#include <libvirt/libvirt.h>

namespace cpi::virt {

// One owning pointer per libvirt handle type; the deleter is the matching free function, so no
// path (success, exception, early return) leaks a reference.
template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) FreeFn(p);
  }
};

using ConnectPtr = std::unique_ptr<virConnect, Deleter<virConnectClose>>;
using DomainPtr = std::unique_ptr<virDomain, Deleter<virDomainFree>>;
using StoragePoolPtr = std::unique_ptr<virStoragePool, Deleter<virStoragePoolFree>>;
using StorageVolPtr = std::unique_ptr<virStorageVol, Deleter<virStorageVolFree>>;
using StreamPtr = std::unique_ptr<virStream, Deleter<virStreamFree>>;
using NetworkPtr = std::unique_ptr<virNetwork, Deleter<virNetworkFree>>;

// Strings libvirt allocates for us (XML descriptions, metadata) are freed with free().
struct FreeDeleter {
  void operator()(char* p) const { free(p); }
};
using CString = std::unique_ptr<char, FreeDeleter>;

}  // namespace cpi::virt

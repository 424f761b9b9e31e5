#pragma once

#include <memory>

#include <libvirt/libvirt.h>

#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::virt {

// One owning pointer per libvirt handle type, freed with the matching function.
using ConnectPtr = util::Handle<virConnect, virConnectClose>;
using DomainPtr = util::Handle<virDomain, virDomainFree>;
using StoragePoolPtr = util::Handle<virStoragePool, virStoragePoolFree>;
using StorageVolPtr = util::Handle<virStorageVol, virStorageVolFree>;
using StreamPtr = util::Handle<virStream, virStreamFree>;
using NetworkPtr = util::Handle<virNetwork, virNetworkFree>;

// Strings libvirt allocates for us (XML descriptions, metadata) are freed with free().
using CString = util::Malloced<char>;

}  // namespace cpi::virt

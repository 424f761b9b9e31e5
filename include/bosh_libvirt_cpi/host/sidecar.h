#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/host/host.h"

// Sidecars: small raw volumes beside an object holding what libvirt has no place for (a
// stemcell's cloud_properties, a disk's or snapshot's metadata; docs/ARCHITECTURE.md §5). The one
// reader for every service.
namespace cpi::host {

// What the pool volume `name` holds, at most `max_bytes`, up to its first NUL (a volume may be
// longer than what was written into it, and one cut short by a killed upload reads as a prefix);
// nullopt when there is no such volume.
std::optional<std::string> ReadSidecarBytes(Host& host, const std::string& name,
                                            uint64_t max_bytes);

// The JSON the sidecar `name` holds; nullopt when there is no such volume. Throws CloudError,
// naming the volume and `holding` ("JSON", "the stemcell's cloud_properties"), when it is not JSON.
std::optional<nlohmann::json> ReadSidecarJson(Host& host, const std::string& name,
                                              uint64_t max_bytes, const std::string& holding);

}  // namespace cpi::host

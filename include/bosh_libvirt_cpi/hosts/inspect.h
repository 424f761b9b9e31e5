#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/hosts/hosts.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::hosts {

// Opens one host's connection (virt::Connect with its URI and timeout_seconds, or a fake).
using Connector = std::function<std::unique_ptr<virt::Connection>(const config::Libvirt&)>;

// Every host of `config` in config order, all asked at once (a thread per host), so the command
// takes as long as the slowest host, at most its timeout_seconds. Never throws for a host that
// does not answer: its Status says why. src/hypervisor/hosts/inspect.cc.
std::vector<Status> Inspect(const config::Config& config, const Connector& connect);

}  // namespace cpi::hosts

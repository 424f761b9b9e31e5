#pragma once

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/rpc/call.h"

namespace cpi::actions {

nlohmann::json CreateVm(const rpc::Call& call);
nlohmann::json DeleteVm(const rpc::Call& call);
nlohmann::json HasVm(const rpc::Call& call);
nlohmann::json RebootVm(const rpc::Call& call);
nlohmann::json SetVmMetadata(const rpc::Call& call);
nlohmann::json CurrentVmId(const rpc::Call& call);

}  // namespace cpi::actions

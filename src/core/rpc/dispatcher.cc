#include "bosh_libvirt_cpi/rpc/dispatcher.h"

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"
#include "bosh_libvirt_cpi/log/log.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi::rpc {
namespace {

std::string Success(const nlohmann::json& result) {
  return json::Dump({{"result", result}, {"error", nullptr}, {"log", ""}});
}

std::string Failure(const Error& e) {
  return json::Dump(
      {{"result", nullptr},
       {"error",
        {{"type", WireType(e.type())}, {"message", e.what()}, {"ok_to_retry", e.ok_to_retry()}}},
       {"log", ""}});
}

config::Config LoadConfig(const Options& options, const Request& request) {
  nlohmann::json context = json::ToJson(request.context);
  if (!options.config_path) return config::Load(std::nullopt, "(built-in defaults)", context);
  return config::LoadFile(*options.config_path, context);
}

nlohmann::json Run(const Request& request, const Options& options) {
  const Method* method = FindMethod(request.method);
  if (method == nullptr) {
    throw NotImplemented("Method is not known, got: " + Quote(request.method));
  }
  Args args(request.arguments, request.method);
  args.Validate(method->args);

  std::optional<config::Config> config;
  if (method->needs_config) config = LoadConfig(options, request);
  Call call{request, args, config ? &*config : nullptr};

  if (options.run == nullptr) throw CpiError("internal: no way to run '" + request.method + "'");
  return options.run(*method, call);
}

// Called inside a catch block: the exception being handled as a cpi::Error.
Error CurrentAsError() {
  try {
    throw;
  } catch (const Error& e) {
    return e;
  } catch (const std::bad_alloc&) {
    return CloudError("Out of memory");
  } catch (const std::exception& e) {
    return CloudError(std::string("Unexpected failure: ") + e.what());
  } catch (...) {
    return CloudError("Unexpected failure");
  }
}

}  // namespace

std::string Handle(std::string_view input, const Options& options) {
  try {
    RequestParser parser;
    Request request = parser.Parse(input);
    log::Init(request.request_id, request.method);
    try {
      nlohmann::json result = Run(request, options);
      spdlog::debug("done");
      return Success(result);
    } catch (...) {
      Error e = CurrentAsError();
      spdlog::error("{}: {}", WireType(e.type()), e.what());
      return Failure(e);
    }
  } catch (...) {
    Error e = CurrentAsError();
    log::Init("", "request");
    spdlog::error("{}: {}", WireType(e.type()), e.what());
    return Failure(e);
  }
}

}  // namespace cpi::rpc

// libFuzzer target: any bytes on stdin of the executable, through the whole protocol layer
// (rpc::Handle: envelope, method table, argument checks, configuration with the request's
// cpi-config context overlay, core actions, error responses).
//
// Besides ASan/UBSan findings, it checks the promise every caller relies on (docs/CONTRACT.md
// §1.4, §3): whatever the input, the answer is one JSON object with exactly "result", "error"
// and "log"; "log" is a string; "error" is null or {"type", "message", "ok_to_retry"} with a
// Bosh::Clouds type and a boolean; "result" is null when "error" is set.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/cpi.h"
#include "bosh_libvirt_cpi/rpc/dispatcher.h"

namespace {

[[noreturn]] void Broken(const std::string& why, const std::string& response) {
  std::fprintf(stderr, "contract violated: %s\nresponse: %.2000s\n", why.c_str(), response.c_str());
  std::abort();
}

const std::set<std::string> kTypes = {
    "Bosh::Clouds::CpiError",       "Bosh::Clouds::NotSupported",
    "Bosh::Clouds::NotImplemented", "Bosh::Clouds::CloudError",
    "Bosh::Clouds::VMNotFound",     "Bosh::Clouds::NetworkNotFound",
    "Bosh::Clouds::NoDiskSpace",    "Bosh::Clouds::DiskNotAttached",
    "Bosh::Clouds::DiskNotFound",   "Bosh::Clouds::VMCreationFailed"};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Hypervisor methods stop where the module would be loaded (no libvirt in a fuzzer), and logs
  // would only slow it down.
  setenv("BOSH_LIBVIRT_CPI_MODULE", "/nonexistent/libbosh-libvirt-cpi-hypervisor.so", 1);
  setenv("BOSH_LIBVIRT_CPI_LOG_LEVEL", "off", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Built-in defaults, so the context overlay is what varies.
  cpi::rpc::Options options{.run = &cpi::RunMethod};
  std::string response = cpi::rpc::Handle(input, options);

  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(response);
  } catch (const nlohmann::json::exception& e) {
    Broken(std::string("not JSON: ") + e.what(), response);
  }
  if (!doc.is_object() || doc.size() != 3 || !doc.contains("result") || !doc.contains("error") ||
      !doc.contains("log")) {
    Broken("not exactly {result, error, log}", response);
  }
  if (!doc["log"].is_string()) Broken("log is not a string", response);
  const nlohmann::json& error = doc["error"];
  if (error.is_null()) return 0;
  if (!error.is_object() || error.size() != 3 || !error.contains("type") ||
      !error.contains("message") || !error.contains("ok_to_retry")) {
    Broken("error is not exactly {type, message, ok_to_retry}", response);
  }
  if (!error["type"].is_string() || kTypes.count(error["type"].get<std::string>()) == 0) {
    Broken("unknown error type", response);
  }
  if (!error["message"].is_string()) Broken("message is not a string", response);
  if (!error["ok_to_retry"].is_boolean()) Broken("ok_to_retry is not a boolean", response);
  if (!doc["result"].is_null()) Broken("result is not null next to an error", response);
  return 0;
}

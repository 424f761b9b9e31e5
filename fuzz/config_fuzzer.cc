// libFuzzer target: the CPI configuration file, and optionally a request context that overlays
// it (a Director cpi-config), through config::Load.
//
// Input: the file's text, optionally followed by "\n--context--\n" and the context's JSON. The
// property checked besides ASan/UBSan: Load either returns a configuration or throws cpi::Error
// (CpiError, naming the key) — any other exception escaping would reach the caller as an
// "Unexpected failure" instead of the promised message; and a configuration it accepted is
// accepted again when loaded from its own values (no value that only passes once).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"

namespace {

constexpr std::string_view kSeparator = "\n--context--\n";

nlohmann::json AsJson(const cpi::config::Config& c) {
  nlohmann::json agent = {{"mbus", c.agent.mbus}, {"ntp", c.agent.ntp}};
  if (!c.agent.blobstore.is_null()) agent["blobstore"] = c.agent.blobstore;
  if (c.agent.mbus.empty()) agent.erase("mbus");
  nlohmann::json libvirt = {
      {"uri", c.libvirt.uri},
      {"storage_pool", c.libvirt.storage_pool},
      {"network", c.libvirt.network},
      {"domain_type", std::string(cpi::config::ToString(c.libvirt.domain_type))},
      {"console_log_dir", c.libvirt.console_log_dir},
      {"machine_type", c.libvirt.machine_type}};
  return {{"libvirt", libvirt},
          {"agent", agent},
          {"lock_dir", c.lock_dir},
          {"templates_dir", c.templates_dir}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view file = input;
  std::optional<std::string_view> context_text;
  if (size_t at = input.find(kSeparator); at != std::string_view::npos) {
    file = input.substr(0, at);
    context_text = input.substr(at + kSeparator.size());
  }

  simdjson::dom::parser parser;
  std::optional<nlohmann::json> context;
  if (context_text) {
    simdjson::dom::object object;
    if (!parser.parse(context_text->data(), context_text->size()).get(object)) {
      context = cpi::json::ToJson(object);
    }
  }

  std::optional<cpi::config::Config> config;
  try {
    config = cpi::config::Load(file, "'fuzz.json'", context);
  } catch (const cpi::Error&) {
    return 0;  // refused with a message: fine
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config::Load threw a non-cpi::Error: %s\n", e.what());
    std::abort();
  }
  try {
    cpi::config::FromJson(AsJson(*config), "'round trip'");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "an accepted configuration is refused when loaded again: %s\n", e.what());
    std::abort();
  }
  return 0;
}

#include "bosh_libvirt_cpi/config/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <strings.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"
#include "bosh_libvirt_cpi/json/duplicate_keys.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/read_file.h"
#include "bosh_libvirt_cpi/util/text.h"

namespace cpi::config {
namespace {

using nlohmann::json;

// Context keys the Director/CLI always send; they are not configuration.
bool IsRequestContextKey(std::string_view key) {
  return key == "director_uuid" || key == "request_id" || key == "vm";
}

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const std::string& path, const std::string& what) const {
    throw CpiError("Invalid configuration " + source_ + ": '" + path + "' " + what);
  }

  const json& Object(const json& value, const std::string& path) const {
    if (!value.is_object()) Fail(path, std::string("must be an object, got ") + value.type_name());
    return value;
  }

  std::string String(const json& value, const std::string& path, bool allow_empty = false) const {
    if (!value.is_string()) Fail(path, std::string("must be a string, got ") + value.type_name());
    std::string s = value.get<std::string>();
    if (!allow_empty && s.empty()) Fail(path, "must not be empty");
    if (s.find('\0') != std::string::npos) Fail(path, "must not contain NUL");
    return s;
  }

  int Integer(const json& value, const std::string& path, int min, int max) const {
    if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
      Fail(path, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got " + value.dump());
    }
    return static_cast<int>(value.get<int64_t>());
  }

  bool Bool(const json& value, const std::string& path) const {
    if (!value.is_boolean())
      Fail(path, std::string("must be true or false, got ") + value.type_name());
    return value.get<bool>();
  }

  std::vector<std::string> StringList(const json& value, const std::string& path) const {
    if (!value.is_array()) Fail(path, std::string("must be an array, got ") + value.type_name());
    std::vector<std::string> out;
    for (size_t i = 0; i < value.size(); ++i) {
      out.push_back(String(value[i], path + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  // Calls `on_key` for each key; unknown keys are errors naming them.
  template <typename F>
  void Keys(const json& object, const std::string& prefix,
            const std::vector<std::string_view>& known, F on_key) const {
    for (auto it = object.begin(); it != object.end(); ++it) {
      std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
      bool is_known = false;
      for (std::string_view k : known) is_known = is_known || k == it.key();
      if (!is_known) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Fail(path, "is not a known key (known here: " + list + ")");
      }
      on_key(it.key(), it.value(), path);
    }
  }

 private:
  std::string source_;
};

DomainType ParseDomainType(const Reader& r, const json& value, const std::string& path) {
  std::string s = r.String(value, path);
  if (s == "auto") return DomainType::kAuto;
  if (s == "kvm") return DomainType::kKvm;
  if (s == "qemu") return DomainType::kQemu;
  r.Fail(path, "must be one of \"auto\", \"kvm\", \"qemu\", got \"" + s + "\"");
}

// Deep merge: objects merge key by key, anything else replaces.
void Overlay(json& base, const json& top) {
  if (!base.is_object() || !top.is_object()) {
    base = top;
    return;
  }
  for (auto it = top.begin(); it != top.end(); ++it) {
    if (base.contains(it.key())) {
      Overlay(base[it.key()], it.value());
    } else {
      base[it.key()] = it.value();
    }
  }
}

const std::vector<std::string_view> kLibvirtKeys = {"uri",
                                                    "storage_pool",
                                                    "network",
                                                    "domain_type",
                                                    "console_log_dir",
                                                    "machine_type",
                                                    "rollback_reconnect_seconds",
                                                    "timeout_seconds"};

// One key of a `libvirt` block or of a `hosts` entry.
void ReadLibvirtKey(const Reader& r, Libvirt& l, const std::string& k, const json& v,
                    const std::string& p) {
  if (k == "uri") l.uri = r.String(v, p);
  if (k == "storage_pool") l.storage_pool = r.String(v, p);
  if (k == "network") l.network = r.String(v, p);
  if (k == "domain_type") l.domain_type = ParseDomainType(r, v, p);
  if (k == "console_log_dir") l.console_log_dir = r.String(v, p);
  if (k == "machine_type") l.machine_type = r.String(v, p, true);
  if (k == "rollback_reconnect_seconds") l.rollback_reconnect_seconds = r.Integer(v, p, 0, 3600);
  if (k == "timeout_seconds") l.timeout_seconds = r.Integer(v, p, 1, 3600);
}

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The `hosts` array: each entry starts from the `libvirt` block's values.
std::vector<HostConfig> ReadHosts(const Reader& r, const json& value, const Libvirt& defaults) {
  if (!value.is_array()) r.Fail("hosts", std::string("must be an array, got ") + value.type_name());
  if (value.empty()) r.Fail("hosts", "must name at least one host");
  std::vector<HostConfig> hosts;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string path = "hosts[" + std::to_string(i) + "]";
    HostConfig host;
    host.libvirt = defaults;
    std::vector<std::string_view> known(kLibvirtKeys);
    for (std::string_view k : {"name", "key", "az", "shared"}) known.push_back(k);
    r.Object(value[i], path);
    for (auto it = value[i].begin(); it != value[i].end(); ++it) {
      std::string p = path + "." + it.key();
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
        r.Fail(p, "is not a known key (known here: name, key, az, shared and the keys of libvirt)");
      }
      const json& v = it.value();
      if (it.key() == "name") {
        host.name = r.String(v, p);
        if (!IsHostName(host.name)) r.Fail(p, "must be 1 to 32 of a-z, 0-9 and '-'");
      } else if (it.key() == "key") {
        host.key = r.String(v, p);
        if (!util::IsHostKey(host.key))
          r.Fail(p, "must be two letters from g to z, got " + v.dump());
      } else if (it.key() == "az") {
        host.az = r.String(v, p);
      } else if (it.key() == "shared") {
        host.shared = r.Bool(v, p);
      } else {
        ReadLibvirtKey(r, host.libvirt, it.key(), v, p);
      }
    }
    if (host.name.empty()) r.Fail(path, "has no 'name'");
    if (host.key.empty()) host.key = DeriveHostKey(host.name);
    for (const HostConfig& other : hosts) {
      if (other.name == host.name) r.Fail(path + ".name", "repeats host " + Quote(host.name));
      if (other.key == host.key) {
        r.Fail(path, "has key " + Quote(host.key) + " like host " + Quote(other.name) +
                         "; set 'key' (two letters g..z) on one of them");
      }
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

}  // namespace

std::string DeriveHostKey(std::string_view name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return {static_cast<char>('g' + h % 20), static_cast<char>('g' + h / 20 % 20)};
}

const HostConfig& DefaultHost(const Config& config) {
  static const HostConfig kDefault{"default", "", "", false, Libvirt{}};
  return config.hosts.empty() ? kDefault : config.hosts.front();
}

std::vector<const HostConfig*> AllHosts(const Config& config) {
  std::vector<const HostConfig*> all;
  for (const HostConfig& host : config.hosts) all.push_back(&host);
  if (all.empty()) all.push_back(&DefaultHost(config));
  return all;
}

const HostConfig* HostWithKey(const Config& config, std::string_view key) {
  if (key.empty()) return &DefaultHost(config);
  for (const HostConfig& host : config.hosts) {
    if (host.key == key) return &host;
  }
  return nullptr;
}

const HostConfig* HostNamed(const Config& config, std::string_view name) {
  for (const HostConfig& host : config.hosts) {
    if (host.name == name) return &host;
  }
  return nullptr;
}

std::string_view ToString(DomainType type) {
  switch (type) {
    case DomainType::kAuto:
      return "auto";
    case DomainType::kKvm:
      return "kvm";
    case DomainType::kQemu:
      return "qemu";
  }
  return "auto";
}

Config FromJson(const json& document, std::string_view source) {
  Reader r(source);
  Config config;
  r.Object(document, "(top level)");
  r.Keys(document, "", {"libvirt", "hosts", "agent", "lock_dir", "templates_dir"},
         [&](const std::string& key, const json& value, const std::string& path) {
           if (key == "libvirt") {
             r.Keys(r.Object(value, path), path, kLibvirtKeys,
                    [&](const std::string& k, const json& v, const std::string& p) {
                      ReadLibvirtKey(r, config.libvirt, k, v, p);
                    });
           } else if (key == "hosts") {
             // Read after the loop: its entries start from the `libvirt` block's values.
           } else if (key == "agent") {
             r.Keys(r.Object(value, path), path, {"mbus", "ntp", "blobstore"},
                    [&](const std::string& k, const json& v, const std::string& p) {
                      if (k == "mbus") config.agent.mbus = r.String(v, p);
                      if (k == "ntp") config.agent.ntp = r.StringList(v, p);
                      if (k == "blobstore") {
                        r.Keys(r.Object(v, p), p, {"provider", "options"},
                               [&](const std::string& bk, const json& bv, const std::string& bp) {
                                 if (bk == "provider") r.String(bv, bp);
                                 if (bk == "options") r.Object(bv, bp);
                               });
                        config.agent.blobstore = v;
                      }
                    });
           } else if (key == "lock_dir") {
             config.lock_dir = r.String(value, path);
           } else if (key == "templates_dir") {
             config.templates_dir = r.String(value, path, true);
           }
         });
  if (document.contains("hosts")) {
    config.hosts = ReadHosts(r, document["hosts"], config.libvirt);
    config.multi_host = true;
  } else {
    HostConfig single;
    single.name = "default";
    single.libvirt = config.libvirt;
    config.hosts.push_back(std::move(single));
  }
  return config;
}

Config Load(std::optional<std::string_view> file_text, std::string_view source,
            const std::optional<nlohmann::json>& context) {
  json document = json::object();
  if (file_text) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto error = parser.parse(file_text->data(), file_text->size()).get(root)) {
      throw CpiError("Invalid configuration " + std::string(source) +
                     ": not valid JSON: " + simdjson::error_message(error));
    }
    if (std::optional<cpi::json::DuplicateKey> dup = cpi::json::FindDuplicateKey(root)) {
      throw CpiError("Invalid configuration " + std::string(source) + ": duplicate key " +
                     Quote(dup->key) + " at " + dup->path +
                     "; JSON readers disagree on which value counts, so remove one");
    }
    document = cpi::json::ToJson(root);
  }
  if (context && context->is_object()) {
    json overlay = json::object();
    for (const auto& [key, value] : context->items()) {
      if (!IsRequestContextKey(key)) overlay[key] = value;
    }
    if (!overlay.empty()) {
      if (!document.is_object()) {
        return FromJson(document, source);  // reports the file's own problem first
      }
      Overlay(document, overlay);
      return FromJson(document, std::string(source) + " with the request's cpi-config context");
    }
  }
  return FromJson(document, source);
}

namespace {

// Percent-encodes all but RFC 3986's unreserved characters and '/'.
std::string EncodePath(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The (still percent-encoded) value of a local file parameter that names a relative path.
bool IsRelativeFile(std::string_view name, std::string_view value) {
  if (value.empty() || value[0] == '/' || util::EqualFold(value.substr(0, 3), "%2F")) return false;
  if (util::EqualFold(name, "keyfile") || util::EqualFold(name, "known_hosts") ||
      util::EqualFold(name, "pkipath")) {
    return true;
  }
  if (util::EqualFold(name, "command")) {
    return value.find('/') != std::string_view::npos ||
           value.find("%2F") != std::string_view::npos ||
           value.find("%2f") != std::string_view::npos;
  }
  return false;
}

}  // namespace

std::string ResolveUriFiles(std::string_view uri, std::string_view base_dir) {
  size_t query = uri.find('?');
  if (query == std::string_view::npos || base_dir.empty()) return std::string(uri);
  size_t end = uri.find('#', query);
  if (end == std::string_view::npos) end = uri.size();
  std::string prefix = EncodePath(base_dir);
  if (prefix.back() != '/') prefix.push_back('/');
  std::string out(uri.substr(0, query + 1));
  // libvirt separates parameters with '&' or ';'.
  size_t start = query + 1;
  while (start <= end) {
    size_t stop = uri.find_first_of("&;", start);
    if (stop == std::string_view::npos || stop > end) stop = end;
    std::string_view param = uri.substr(start, stop - start);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsRelativeFile(param.substr(0, eq), param.substr(eq + 1))) {
      out.append(param.substr(0, eq + 1)).append(prefix).append(param.substr(eq + 1));
    } else {
      out.append(param);
    }
    if (stop < end) out.push_back(uri[stop]);
    start = stop + 1;
  }
  out.append(uri.substr(end));
  return out;
}

Config LoadFile(const std::string& path, const std::optional<nlohmann::json>& context) {
  Config config = Load(ReadFile(path), Quote(path), context);
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  config.libvirt.uri = ResolveUriFiles(config.libvirt.uri, dir);
  for (HostConfig& host : config.hosts) {
    host.libvirt.uri = ResolveUriFiles(host.libvirt.uri, dir);
  }
  return config;
}

std::string ReadFile(const std::string& path) {
  std::string text;
  if (int err = util::ReadFile(path, text); err != 0) {
    throw CpiError("Reading configuration file '" + path +
                   "': " + (err == EISDIR ? std::string("it is a directory") : std::strerror(err)));
  }
  return text;
}

}  // namespace cpi::config

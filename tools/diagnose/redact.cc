#include "diagnose/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace cpi::diagnose {
namespace {

using nlohmann::json;

// Every leaf replaced, the structure kept.
json RedactAll(const json& value) {
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = RedactAll(it.value());
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& element : value) out.push_back(RedactAll(element));
    return out;
  }
  return kRedacted;
}

json RedactSecrets(const json& value) {
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[it.key()] = IsSecretKey(it.key()) ? json(kRedacted) : RedactSecrets(it.value());
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& element : value) out.push_back(RedactSecrets(element));
    return out;
  }
  if (value.is_string()) return RedactUrlPassword(value.get_ref<const std::string&>());
  return value;
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  std::string normal(key);
  std::transform(normal.begin(), normal.end(), normal.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(c));
  });
  static constexpr std::array<std::string_view, 8> kWords = {
      "password", "passwd",      "private_key", "privatekey",
      "secret",   "certificate", "token",       "credential"};
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view word) { return normal.find(word) != std::string::npos; });
}

std::string RedactUrlPassword(std::string_view text) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    size_t authority = scheme_end + 3;
    size_t authority_end = text.find_first_of("/?# \t\r\n\"'", authority);
    if (authority_end == std::string_view::npos) authority_end = text.size();
    // The last '@' of the authority ends the user info (a password may itself contain '@').
    size_t at = text.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    size_t colon = at == std::string_view::npos || at < authority ? std::string_view::npos
                                                                  : text.find(':', authority);
    if (colon != std::string_view::npos && colon < at) {
      out.append(text.substr(pos, colon + 1 - pos));
      out.append(kRedacted);
      pos = at;
    } else {
      out.append(text.substr(pos, authority - pos));
      pos = authority;
    }
  }
  out.append(text.substr(pos));
  return out;
}

json RedactSettings(const json& settings) {
  json out = RedactSecrets(settings);
  if (settings.is_object() && settings.contains("env")) out["env"] = RedactAll(settings["env"]);
  return out;
}

std::optional<std::string> RedactSettingsText(std::string_view text) {
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  // Strings are not guaranteed to be UTF-8; dumping must not throw on them.
  return RedactSettings(parsed).dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace cpi::diagnose

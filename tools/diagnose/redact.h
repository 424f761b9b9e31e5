#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// Keeps secrets out of what `bosh-libvirt-cpi-diagnose` prints. The agent settings a VM boots with
// carry the Director's env (passwords, NATS/mbus client certificates and keys), blobstore
// credentials and an mbus URL with a password in it; an operator pastes diagnose output into
// tickets, so none of that may appear.
namespace cpi::diagnose {

// What every secret value is replaced with.
inline constexpr const char* kRedacted = "<redacted>";

// Whether a key names a secret: case-insensitive, '-' counted as '_', it contains password, passwd,
// private_key, privatekey, secret, token, certificate or credential.
bool IsSecretKey(std::string_view key);

// `text` with the password of a URL's user info replaced ("nats://nats:pw@10.0.0.6:4222" becomes
// "nats://nats:<redacted>@10.0.0.6:4222"); other text is returned unchanged.
std::string RedactUrlPassword(std::string_view text);

// A copy of agent settings (or any JSON document) with every value under the top-level `env`
// replaced by kRedacted (keys and the shape of objects and arrays are kept, so an operator still
// sees which keys exist), every value of a key that IsSecretKey replaced by kRedacted (whole
// objects and arrays included), and URL passwords in the remaining strings removed.
nlohmann::json RedactSettings(const nlohmann::json& settings);

// `text` parsed as JSON, redacted and pretty-printed (two-space indent); nullopt when it is not
// valid JSON (the caller must then not print it: it may hold secrets).
std::optional<std::string> RedactSettingsText(std::string_view text);

}  // namespace cpi::diagnose

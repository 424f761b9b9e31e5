#pragma once

#include <string>
#include <string_view>

namespace cpi::util {

// The libvirt URI as error messages and logs show it: a password in the user part
// ("qemu+ssh://user:secret@host/system") is replaced by "***", everything else (host, path,
// parameters such as keyfile= or pkipath=, which name files, not secrets) is kept so the
// operator sees which host and transport failed (docs/ARCHITECTURE.md §7).
inline std::string RedactUri(std::string_view uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return std::string(uri);
  const size_t start = scheme + 3;
  const size_t end = uri.find_first_of("/?#", start);
  const std::string_view authority =
      uri.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(uri);
  const size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, start + colon + 1));
  out += "***";
  out += uri.substr(start + at);
  return out;
}

}  // namespace cpi::util

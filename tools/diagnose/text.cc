#include "diagnose/text.h"

#include <cstdio>

namespace cpi::diagnose {

bool IsLocalUri(std::string_view uri) {
  for (std::string_view scheme : {"qemu:///", "qemu+unix:///"}) {
    if (uri.substr(0, scheme.size()) == scheme) return true;
  }
  return false;
}

std::string LastLines(std::string_view text, size_t count) {
  if (count == 0) return "";
  size_t end = text.size();
  // A trailing newline ends the last line; it does not start an empty one.
  size_t pos = (end > 0 && text[end - 1] == '\n') ? end - 1 : end;
  size_t found = 0;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) return std::string(text);
    if (++found == count) return std::string(text.substr(nl + 1));
    pos = nl;
  }
  return std::string(text);
}

std::string Printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\r') continue;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string_view FromFirstFullLine(std::string_view chunk) {
  size_t nl = chunk.find('\n');
  return nl == std::string_view::npos ? chunk : chunk.substr(nl + 1);
}

std::string FormatBytes(unsigned long long bytes) {
  char buf[64];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof(buf), "%llu B", bytes);
  } else if (bytes < 1024ull * 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / (1024.0 * 1024));
  }
  std::string s = buf;
  // "64.0 KiB" reads better as "64 KiB".
  size_t dot0 = s.find(".0 ");
  if (dot0 != std::string::npos) s.erase(dot0, 2);
  return s;
}

}  // namespace cpi::diagnose

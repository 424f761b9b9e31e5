#include "bosh_libvirt_cpi/util/ids.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <stdexcept>

namespace cpi::util {
namespace {

void RandomBytes(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    got += static_cast<size_t>(r);
  }
}

constexpr char kHex[] = "0123456789abcdef";

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s.substr(i, 1))) return false;
  }
  return true;
}

// The UUID after `prefix`, with or without "<key>-" in between; "" when there is none.
std::string_view UuidAfter(std::string_view cid, std::string_view prefix) {
  if (cid.substr(0, prefix.size()) != prefix) return {};
  std::string_view rest = cid.substr(prefix.size());
  if (rest.size() == 3 + 36 && IsHostKey(rest.substr(0, 2)) && rest[2] == '-')
    rest.remove_prefix(3);
  return IsUuid(rest) ? rest : std::string_view();
}

std::string KeyedPrefix(std::string_view prefix, std::string_view host_key) {
  std::string out(prefix);
  if (!host_key.empty()) {
    if (!IsHostKey(host_key)) throw std::invalid_argument("not a host key");
    out.append(host_key).push_back('-');
  }
  return out;
}

}  // namespace

std::string NewUuid(unsigned version) {
  std::array<unsigned char, 16> b;
  RandomBytes(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | ((version & 0x0f) << 4));
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

std::string RandomHex(size_t n) {
  std::string bytes((n + 1) / 2, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size());
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  out.resize(n);
  return out;
}

std::string NewStemcellCid() { return "sc-" + NewUuid(); }
std::string NewVmCid(std::string_view host_key) {
  return KeyedPrefix("vm-", host_key) + NewUuid(8);
}
std::string NewDiskCid(std::string_view host_key) {
  if (host_key.empty()) return "disk-" + RandomHex(15);
  if (!IsHostKey(host_key)) throw std::invalid_argument("not a host key");
  return "disk-" + std::string(host_key) + RandomHex(13);
}
std::string NewSnapshotCid(std::string_view host_key) {
  return KeyedPrefix("snap-", host_key) + NewUuid();
}

bool IsStemcellCid(std::string_view cid) {
  return cid.size() == 3 + 36 && !UuidAfter(cid, "sc-").empty();
}
bool IsVmCid(std::string_view cid) { return !UuidAfter(cid, "vm-").empty(); }
bool IsDiskCid(std::string_view cid) {
  if (cid.size() != 20 || cid.substr(0, 5) != "disk-") return false;
  std::string_view rest = cid.substr(5);
  if (IsHostKey(rest.substr(0, 2))) rest.remove_prefix(2);
  return IsHex(rest);
}
bool IsSnapshotCid(std::string_view cid) { return !UuidAfter(cid, "snap-").empty(); }

std::string CidHostKey(std::string_view cid) {
  std::string_view key;
  if (IsDiskCid(cid)) {
    key = cid.substr(5, 2);
  } else if (IsVmCid(cid) && cid.size() == 3 + 3 + 36) {
    key = cid.substr(3, 2);
  } else if (IsSnapshotCid(cid) && cid.size() == 5 + 3 + 36) {
    key = cid.substr(5, 2);
  }
  return IsHostKey(key) ? std::string(key) : std::string();
}

std::string_view CidUuid(std::string_view cid) {
  std::string_view uuid = UuidAfter(cid, "vm-");
  return uuid.empty() ? UuidAfter(cid, "snap-") : uuid;
}

}  // namespace cpi::util

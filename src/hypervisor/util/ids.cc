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

bool HasUuidAfter(std::string_view cid, std::string_view prefix) {
  return cid.substr(0, prefix.size()) == prefix && IsUuid(cid.substr(prefix.size()));
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
std::string NewVmCid() { return "vm-" + NewUuid(8); }
std::string NewDiskCid() { return "disk-" + RandomHex(15); }
std::string NewSnapshotCid() { return "snap-" + NewUuid(); }

bool IsStemcellCid(std::string_view cid) { return HasUuidAfter(cid, "sc-"); }
bool IsVmCid(std::string_view cid) { return HasUuidAfter(cid, "vm-"); }
bool IsDiskCid(std::string_view cid) {
  return cid.size() == 20 && cid.substr(0, 5) == "disk-" && IsHex(cid.substr(5));
}
bool IsSnapshotCid(std::string_view cid) { return HasUuidAfter(cid, "snap-"); }

}  // namespace cpi::util

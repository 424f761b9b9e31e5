#include "diagnose/guest_disk.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::diagnose {
namespace {

// libguestfs returns NULL-terminated arrays of malloc'd strings.
std::vector<std::string> TakeStrings(char** list) {
  std::vector<std::string> out;
  if (list == nullptr) return out;
  for (char** p = list; *p != nullptr; ++p) {
    out.emplace_back(*p);
    free(*p);
  }
  free(list);
  return out;
}

// One guestfs_pread may not exceed the protocol's message size (4 MiB).
constexpr uint64_t kReadChunk = 1 << 20;

}  // namespace

void GuestDisks::Fail(const std::string& step) const {
  const char* message = guestfs_last_error(g_.get());
  throw CloudError(step + ": " + (message != nullptr ? message : "unknown libguestfs error"));
}

GuestDisks GuestDisks::Launch(const std::vector<Drive>& drives) {
  GuestfsPtr g(guestfs_create());
  if (!g) {
    throw CloudError(std::string("Creating the libguestfs handle: ") + std::strerror(errno));
  }
  // Errors travel in exceptions, built from guestfs_last_error; nothing is printed by itself.
  guestfs_set_error_handler(g.get(), nullptr, nullptr);
  GuestDisks disks(std::move(g), drives);
  guestfs_h* h = disks.g_.get();

  if (guestfs_set_backend(h, "direct") == -1) disks.Fail("Selecting the libguestfs backend");
  // KVM on our machines cannot run the appliance (environment.md §6): always TCG.
  const char* settings[] = {"force_tcg", nullptr};
  if (guestfs_set_backend_settings(h, const_cast<char* const*>(settings)) == -1) {
    disks.Fail("Setting the libguestfs backend settings");
  }
  for (const Drive& drive : drives) {
    if (guestfs_add_drive_opts(h, drive.path.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT,
                               drive.format.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                               -1) == -1) {
      disks.Fail("Adding " + Quote(drive.name) + " (" + drive.path + ") read-only");
    }
  }
  if (guestfs_launch(h) == -1) disks.Fail("Launching the libguestfs appliance");
  disks.devices_ = TakeStrings(guestfs_list_devices(h));
  return disks;
}

std::vector<Filesystem> GuestDisks::ListFilesystems() {
  char** list = guestfs_list_filesystems(g_.get());
  if (list == nullptr) Fail("Listing filesystems");
  std::vector<std::string> flat = TakeStrings(list);
  std::vector<Filesystem> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    Filesystem fs{flat[i], flat[i + 1], ""};
    // /dev/sda1 lives on /dev/sda, the first drive added; logical volumes cannot be told apart
    // this way and keep an empty drive name.
    for (size_t d = 0; d < devices_.size() && d < drives_.size(); ++d) {
      const std::string& dev = devices_[d];
      if (fs.device.compare(0, dev.size(), dev) == 0 &&
          (fs.device.size() == dev.size() ||
           std::isdigit(static_cast<unsigned char>(fs.device[dev.size()])))) {
        fs.drive = drives_[d].name;
      }
    }
    out.push_back(std::move(fs));
  }
  return out;
}

std::optional<std::string> GuestDisks::MountReadOnly(const std::string& device) {
  if (mounted_) {
    if (guestfs_umount_all(g_.get()) == -1) Fail("Unmounting the previous filesystem");
    mounted_ = false;
  }
  if (guestfs_mount_ro(g_.get(), device.c_str(), "/") == -1) {
    const char* message = guestfs_last_error(g_.get());
    return std::string(message != nullptr ? message : "unknown libguestfs error");
  }
  mounted_ = true;
  return std::nullopt;
}

bool GuestDisks::IsFile(const std::string& path) {
  int r = guestfs_is_file_opts(g_.get(), path.c_str(), GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1);
  // An error here means a parent that is not a directory or a dangling link: not a file.
  return r == 1;
}

FileTail GuestDisks::Tail(const std::string& path, uint64_t max_bytes) {
  int64_t size = guestfs_filesize(g_.get(), path.c_str());
  if (size == -1) Fail("Reading the size of " + path);
  FileTail tail;
  tail.size = static_cast<uint64_t>(size);
  uint64_t offset = tail.size > max_bytes ? tail.size - max_bytes : 0;
  while (offset < tail.size) {
    uint64_t want = std::min(kReadChunk, tail.size - offset);
    size_t got = 0;
    char* data = guestfs_pread(g_.get(), path.c_str(), static_cast<int>(want),
                               static_cast<int64_t>(offset), &got);
    if (data == nullptr) Fail("Reading " + path);
    tail.data.append(data, got);
    free(data);
    if (got == 0) break;  // the file shrank meanwhile (a running guest)
    offset += got;
  }
  return tail;
}

}  // namespace cpi::diagnose

// Reading a stemcell's root.img out of its tarball with libarchive (archive module).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "archive_impl.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/media/crc32.h"
#include "bosh_libvirt_cpi/media/disk_image.h"
#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::media {
namespace {

constexpr std::string_view kRootImage = "root.img";
// Bytes libarchive reads from the file at a time. The gzip reader decompresses into its own
// 64 KiB buffer whatever this is; 128 KiB costs no more CPU than 1 MiB and ~0.5 MiB less RSS.
constexpr size_t kReadBlock = 128 * 1024;
// Bytes of root.img read ahead by Open: enough for the qcow2 header.
constexpr size_t kHeadBytes = 4096;

bool IsRootImage(std::string_view name) {
  if (name.substr(0, 2) == "./") name.remove_prefix(2);
  return name == kRootImage;
}

}  // namespace

// The file is read by two libarchive readers: `outer` turns it into a byte stream (gunzipped
// when it is gzip, format "raw"), and `inner` parses that stream as tar. Sitting between them,
// InnerRead sees every decompressed byte, which is what the gzip CRC covers.
struct RootImageReader::State {
  std::string path;
  util::UniqueFd fd;
  uint64_t file_size = 0;
  // Freed inner first: members are destroyed in reverse order.
  util::Handle<archive, archive_read_free> outer;
  util::Handle<archive, archive_read_free> inner;
  bool gzip = false;
  uint32_t crc = 0;           // of the decompressed stream so far
  uint64_t stream_bytes = 0;  // length of the decompressed stream so far
  bool stream_end = false;
  bool verified = false;
  ImageInfo info;
  std::string head;  // the first bytes of root.img, read by Open, not yet returned by Read
  size_t head_offset = 0;
  uint64_t position = 0;

  [[noreturn]] void Fail(archive* a, const std::string& step) const {
    const char* why = archive_error_string(a);
    throw CloudError(step + ": " + (why != nullptr ? why : "unknown libarchive error"));
  }

  // The next block of the decompressed stream; false at its end. Throws on a read error.
  bool NextBlock(const void** block, size_t* size) {
    while (!stream_end) {
      la_int64_t offset = 0;
      int r = archive_read_data_block(outer.get(), block, size, &offset);
      if (r == ARCHIVE_EOF) {
        stream_end = true;
        break;
      }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) Fail(outer.get(), "reading the archive");
      if (*size == 0) continue;
      if (gzip) {
        crc = AllZero(*block, *size) ? Crc32Zeros(crc, *size) : Crc32(crc, *block, *size);
      }
      stream_bytes += *size;
      return true;
    }
    return false;
  }

  static la_ssize_t InnerRead(archive* a, void* client, const void** buffer) {
    auto* self = static_cast<State*>(client);
    size_t size = 0;
    try {
      return self->NextBlock(buffer, &size) ? static_cast<la_ssize_t>(size) : 0;
    } catch (const std::exception& e) {
      archive_set_error(a, EIO, "%s", e.what());
      return ARCHIVE_FATAL;
    }
  }

  // Reads the rest of the stream and compares its CRC and length with the gzip trailer, which
  // ends where the gzip reader stopped consuming the file.
  void Verify() {
    const void* block = nullptr;
    size_t size = 0;
    while (NextBlock(&block, &size)) {
    }
    verified = true;
    if (!gzip) return;
    la_int64_t end = archive_filter_bytes(outer.get(), 1);
    unsigned char trailer[8];
    if (end < 8 || static_cast<uint64_t>(end) > file_size ||
        pread(fd.get(), trailer, sizeof trailer, end - 8) != static_cast<ssize_t>(sizeof trailer)) {
      throw CloudError("cannot read the gzip trailer");
    }
    auto le32 = [&](int at) {
      return static_cast<uint32_t>(trailer[at]) | static_cast<uint32_t>(trailer[at + 1]) << 8 |
             static_cast<uint32_t>(trailer[at + 2]) << 16 |
             static_cast<uint32_t>(trailer[at + 3]) << 24;
    };
    if (le32(0) != crc || le32(4) != static_cast<uint32_t>(stream_bytes)) {
      throw CloudError(
          "gzip checksum mismatch: the archive is corrupt (or made of several gzip members, "
          "which is not supported)");
    }
  }
};

RootImageReader::RootImageReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
RootImageReader::~RootImageReader() = default;

const ImageInfo& RootImageReader::info() const { return state_->info; }

std::unique_ptr<RootImageReader> RootImageReader::Open(const std::string& path,
                                                       std::optional<ImageFormat> claimed) {
  auto s = std::make_unique<State>();
  s->path = path;
  s->fd.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!s->fd) throw CloudError(std::string("cannot open the file: ") + strerror(errno));
  struct stat st {};
  if (fstat(s->fd.get(), &st) != 0) {
    throw CloudError(std::string("cannot stat the file: ") + strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw CloudError("not a regular file");
  if (st.st_size == 0) {
    throw CloudError("the file is empty (light stemcells are not supported)");
  }
  s->file_size = static_cast<uint64_t>(st.st_size);
  // The whole file is read once, front to back.
  posix_fadvise(s->fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  s->outer.reset(archive_read_new());
  s->inner.reset(archive_read_new());
  if (s->outer == nullptr || s->inner == nullptr) {
    throw CloudError("cannot allocate an archive reader");
  }
  // gzip-compressed or plain: without a matching filter libarchive passes the bytes through.
  archive_read_support_filter_gzip(s->outer.get());
  archive_read_support_format_raw(s->outer.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_fd(s->outer.get(), s->fd.get(), kReadBlock) != ARCHIVE_OK ||
      archive_read_next_header(s->outer.get(), &entry) != ARCHIVE_OK) {
    s->Fail(s->outer.get(), "not a gzip-compressed tar archive");
  }
  s->gzip = archive_filter_code(s->outer.get(), 0) == ARCHIVE_FILTER_GZIP;

  archive* a = s->inner.get();
  archive_read_support_format_tar(a);
  if (archive_read_open(a, s.get(), nullptr, &State::InnerRead, nullptr) != ARCHIVE_OK) {
    s->Fail(a, "not a gzip-compressed tar archive");
  }
  std::vector<std::string> seen;
  bool first = true;
  for (;; first = false) {
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) {
      std::string found;
      for (const std::string& name : seen) found += (found.empty() ? "" : ", ") + Quote(name);
      throw CloudError("the archive holds no root.img" +
                       (found.empty() ? std::string(" (it is empty)") : " (found " + found + ")"));
    }
    if (r < ARCHIVE_WARN) {
      s->Fail(a, first ? "not a gzip-compressed tar archive" : "reading the archive");
    }
    const char* name = archive_entry_pathname(entry);
    if (name != nullptr && IsRootImage(name)) break;
    if (seen.size() < 5 && name != nullptr) seen.emplace_back(name);
    if (archive_read_data_skip(a) < ARCHIVE_WARN) s->Fail(a, "reading the archive");
  }
  if (archive_entry_filetype(entry) != AE_IFREG) throw CloudError("root.img is not a regular file");
  if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) <= 0) {
    throw CloudError("root.img is empty");
  }
  s->info.file_size = static_cast<uint64_t>(archive_entry_size(entry));

  // The first bytes decide the format; Read replays them.
  size_t want = std::min<uint64_t>(kHeadBytes, s->info.file_size);
  s->head.resize(want);
  size_t got = 0;
  while (got < want) {
    la_ssize_t n = archive_read_data(a, s->head.data() + got, want - got);
    if (n < 0) s->Fail(a, "reading root.img");
    if (n == 0) throw CloudError("root.img is truncated");
    got += static_cast<size_t>(n);
  }

  bool qcow2 = HasQcow2Magic(s->head);
  if (claimed == ImageFormat::kQcow2 && !qcow2) {
    throw CloudError(
        "cloud_properties.disk_format is 'qcow2' but root.img does not start with the qcow2 "
        "magic");
  }
  if (claimed == ImageFormat::kRaw && qcow2) {
    // Stored as raw, libvirt would still probe it as qcow2; refuse rather than guess.
    throw CloudError("cloud_properties.disk_format is 'raw' but root.img is a qcow2 image");
  }
  if (qcow2) {
    s->info.format = ImageFormat::kQcow2;
    s->info.virtual_size = ParseQcow2Header(s->head).virtual_size;
  } else {
    s->info.format = ImageFormat::kRaw;
    s->info.virtual_size = s->info.file_size;
  }
  return std::unique_ptr<RootImageReader>(new RootImageReader(std::move(s)));
}

size_t RootImageReader::Read(char* buf, size_t size) {
  State& s = *state_;
  size_t n = 0;
  if (s.head_offset < s.head.size()) {
    n = std::min(size, s.head.size() - s.head_offset);
    std::memcpy(buf, s.head.data() + s.head_offset, n);
    s.head_offset += n;
    if (s.head_offset == s.head.size()) {
      s.head.clear();
      s.head.shrink_to_fit();
      s.head_offset = 0;
    }
  }
  while (n < size) {
    la_ssize_t r = archive_read_data(s.inner.get(), buf + n, size - n);
    if (r < 0) {
      s.Fail(s.inner.get(), "reading root.img at byte " + std::to_string(s.position + n) + " of " +
                                std::to_string(s.info.file_size));
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  s.position += n;
  if (n == 0 && !s.verified) {
    if (s.position != s.info.file_size) {
      throw CloudError("root.img ended after " + std::to_string(s.position) + " of " +
                       std::to_string(s.info.file_size) + " bytes");
    }
    s.Verify();
  }
  return n;
}

}  // namespace cpi::media

#include "iso_impl.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <sys/types.h>

#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::media {
namespace {

constexpr size_t kBlock = 2048;
// A config drive holds a few KiB of JSON; refuse to load anything absurd into memory.
constexpr off_t kMaxFileBytes = 16 * 1024 * 1024;

Error Failure(const std::string& step, const std::string& cause) {
  return CloudError("reading config drive: " + step + ": " + cause);
}

void Check(int code, const std::string& step) {
  if (code < 0) throw Failure(step, iso_error_to_msg(code));
}

// An IsoDataSource over bytes the caller keeps alive for as long as the image is used.
int SourceOpen(IsoDataSource*) { return ISO_SUCCESS; }
int SourceClose(IsoDataSource*) { return ISO_SUCCESS; }
void SourceFree(IsoDataSource*) {}
int SourceRead(IsoDataSource* src, uint32_t lba, uint8_t* buffer) {
  auto* bytes = static_cast<const std::string_view*>(src->data);
  uint64_t offset = static_cast<uint64_t>(lba) * kBlock;
  if (offset >= bytes->size()) return static_cast<int>(ISO_DATA_SOURCE_FAILURE);
  size_t n = std::min<uint64_t>(kBlock, bytes->size() - offset);
  std::memcpy(buffer, bytes->data() + offset, n);
  std::memset(buffer + n, 0, kBlock - n);
  return ISO_SUCCESS;
}

std::string ReadFile(IsoImage* image, const std::string& path) {
  IsoNode* node = nullptr;
  int found = iso_tree_path_to_node(image, ("/" + path).c_str(), &node);
  Check(found, "looking up " + Quote(path));
  if (found == 0 || node == nullptr) throw Failure(Quote(path), "no such file");
  if (!ISO_NODE_IS_FILE(node)) throw Failure(Quote(path), "not a regular file");
  IsoStream* stream = iso_file_get_stream(ISO_FILE(node));
  off_t size = iso_stream_get_size(stream);
  if (size < 0 || size > kMaxFileBytes) throw Failure(Quote(path), "implausible file size");
  Check(iso_stream_open(stream), "opening " + Quote(path));
  std::string out;
  out.reserve(static_cast<size_t>(size));
  char buf[16 * 1024];
  for (;;) {
    int n = iso_stream_read(stream, buf, sizeof buf);
    if (n < 0) {
      iso_stream_close(stream);
      Check(n, "reading " + Quote(path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  iso_stream_close(stream);
  return out;
}

}  // namespace

ConfigDriveContent ReadConfigDriveIso(std::string_view iso) {
  InitLibisofs("reading config drive");
  if (iso.size() < 17 * kBlock) throw Failure("checking the image", "too short for ISO9660");

  std::string_view bytes = iso;  // outlives the image below
  auto* raw_source = static_cast<IsoDataSource*>(std::calloc(1, sizeof(IsoDataSource)));
  if (raw_source == nullptr) throw Failure("allocating", "out of memory");
  raw_source->version = 0;
  raw_source->refcount = 1;
  raw_source->open = SourceOpen;
  raw_source->close = SourceClose;
  raw_source->read_block = SourceRead;
  raw_source->free_data = SourceFree;
  raw_source->data = &bytes;
  util::Handle<IsoDataSource, iso_data_source_unref> source(raw_source);

  IsoImage* raw_image = nullptr;
  Check(iso_image_new("config-2", &raw_image), "creating image");
  util::Handle<IsoImage, iso_image_unref> image(raw_image);

  IsoReadOpts* raw_opts = nullptr;
  Check(iso_read_opts_new(&raw_opts, 0), "setting read options");
  util::Handle<IsoReadOpts, iso_read_opts_free> opts(raw_opts);
  // Rock Ridge first (exact POSIX names), Joliet when an image has no Rock Ridge.
  iso_read_opts_set_preferjoliet(opts.get(), 0);

  IsoReadImageFeatures* raw_features = nullptr;
  Check(iso_image_import(image.get(), source.get(), opts.get(), &raw_features),
        "loading the directory tree");
  util::Handle<IsoReadImageFeatures, iso_read_image_features_destroy> features(raw_features);

  ConfigDriveContent files;
  files.user_data = ReadFile(image.get(), "ec2/latest/user-data");
  files.meta_data = ReadFile(image.get(), "ec2/latest/meta-data.json");
  return files;
}

}  // namespace cpi::media

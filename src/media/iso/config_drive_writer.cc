#include "iso_impl.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include <sys/types.h>

// We read the image through libisofs' own struct burn_source; libburn itself is not needed.
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::media {
namespace {

// Every timestamp in the image (2000-01-01T00:00:00Z), so that the same files give the same bytes.
constexpr time_t kFixedTime = 946684800;
// The same instant as ECMA-119 writes it: YYYYMMDDhhmmsscc, recorded as GMT.
constexpr char kFixedVolumeTime[] = "2000010100000000";

void FreeBurnSource(burn_source* source) {
  // Stops and joins the writer thread if the image was not read to the end.
  source->free_data(source);
  std::free(source);
}

using ImagePtr = util::Handle<IsoImage, iso_image_unref>;
using WriteOptsPtr = util::Handle<IsoWriteOpts, iso_write_opts_free>;
using StreamPtr = util::Handle<IsoStream, iso_stream_unref>;
using BurnSourcePtr = util::Handle<burn_source, FreeBurnSource>;
using MallocPtr = util::Malloced<unsigned char>;

Error Failure(const std::string& step, const std::string& cause) {
  return CloudError("building config drive: " + step + ": " + cause);
}

Error Failure(const std::string& step, int code) { return Failure(step, iso_error_to_msg(code)); }

void Check(int code, const std::string& step) {
  if (code < 0) throw Failure(step, code);
}

// libisofs reports failures of its writer thread only through its message queue.
std::string TakeQueuedMessage() {
  char min_severity[] = "SORRY";
  char text[ISO_MSGS_MESSAGE_LEN];
  char severity[80];
  int code = 0;
  int image_id = 0;
  std::string last;
  while (iso_obtain_msgs(min_severity, &code, &image_id, text, severity) > 0) last = text;
  return last;
}

void DiscardQueuedMessages() {
  char never[] = "NEVER";
  char text[ISO_MSGS_MESSAGE_LEN];
  char severity[80];
  int code = 0;
  int image_id = 0;
  iso_obtain_msgs(never, &code, &image_id, text, severity);
}

void SetFixedTimes(IsoNode* node) {
  iso_node_set_atime(node, kFixedTime);
  iso_node_set_mtime(node, kFixedTime);
  iso_node_set_ctime(node, kFixedTime);
}

IsoDir* AddDir(IsoImage* image, IsoDir* parent, const char* name, const std::string& path) {
  IsoDir* dir = nullptr;
  Check(iso_image_add_new_dir(image, parent, name, &dir), "adding directory " + Quote(path));
  SetFixedTimes(reinterpret_cast<IsoNode*>(dir));
  return dir;
}

void AddFile(IsoImage* image, IsoDir* parent, const char* name, const std::string& content,
             const std::string& path) {
  const std::string step = "adding file " + Quote(path);
  // The memory stream takes a malloc'ed buffer and frees it when the stream is destroyed.
  MallocPtr buffer(static_cast<unsigned char*>(std::malloc(content.empty() ? 1 : content.size())));
  if (buffer == nullptr) throw Failure(step, "out of memory");
  std::memcpy(buffer.get(), content.data(), content.size());
  IsoStream* raw_stream = nullptr;
  Check(iso_memory_stream_new(buffer.get(), content.size(), &raw_stream), step);
  buffer.release();
  StreamPtr stream(raw_stream);
  IsoFile* file = nullptr;
  Check(iso_image_add_new_file(image, parent, name, stream.get(), &file), step);
  stream.release();  // the file node holds it now
  SetFixedTimes(reinterpret_cast<IsoNode*>(file));
}

WriteOptsPtr MakeWriteOptions() {
  const std::string step = "setting write options";
  IsoWriteOpts* raw = nullptr;
  Check(iso_write_opts_new(&raw, 0), step);
  WriteOptsPtr opts(raw);
  Check(iso_write_opts_set_iso_level(opts.get(), 3), step);
  // Rock Ridge and Joliet carry the exact lowercase names with dashes and dots; RRIP 1.10 is
  // what genisoimage writes on Nova's config drives.
  Check(iso_write_opts_set_rockridge(opts.get(), 1), step);
  Check(iso_write_opts_set_rrip_version_1_10(opts.get(), 1), step);
  Check(iso_write_opts_set_joliet(opts.get(), 1), step);
  // Joliet names exactly as given, without ";1" or a forced trailing dot (xorriso's default); the
  // strict ISO9660 names (META_DAT.JSO;1) stay as the standard wants them.
  Check(iso_write_opts_set_omit_version_numbers(opts.get(), 2), step);
  Check(iso_write_opts_set_no_force_dots(opts.get(), 2), step);
  // Keep the volume id "config-2" as given (lowercase is not a strict ECMA-119 d-character);
  // udev then links /dev/disk/by-label/config-2.
  Check(iso_write_opts_set_relaxed_vol_atts(opts.get(), 1), step);
  // Owners root, modes 0555 / 0444, no trace of the building process.
  Check(iso_write_opts_set_replace_mode(opts.get(), 1, 1, 1, 1), step);
  // Fixed times in Rock Ridge entries, in the directory records of all trees and in the volume
  // descriptors.
  Check(iso_write_opts_set_replace_timestamps(opts.get(), 2), step);
  Check(iso_write_opts_set_default_timestamp(opts.get(), kFixedTime), step);
  Check(iso_write_opts_set_dir_rec_mtime(opts.get(), 7), step);
  Check(iso_write_opts_set_always_gmt(opts.get(), 1), step);
  // The writer's ring buffer at its minimum, 32 blocks (64 KiB): the default 1024 blocks (2 MiB)
  // only add peak RSS to create_vm; a config drive is a few hundred KiB (BENCHMARKS.md).
  Check(iso_write_opts_set_fifo_size(opts.get(), 32), step);
  char volume_time[sizeof kFixedVolumeTime];
  std::memcpy(volume_time, kFixedVolumeTime, sizeof kFixedVolumeTime);
  Check(iso_write_opts_set_pvd_times(opts.get(), kFixedTime, kFixedTime, 0, 0, volume_time), step);
  return opts;
}

}  // namespace

std::string WriteConfigDriveIso(const ConfigDriveContent& files, std::string_view volume_id) {
  InitLibisofs("building config drive");
  DiscardQueuedMessages();

  const std::string label(volume_id);
  IsoImage* raw_image = nullptr;
  Check(iso_image_new(label.c_str(), &raw_image), "creating image");
  ImagePtr image(raw_image);
  iso_image_set_volume_id(image.get(), label.c_str());
  iso_image_set_publisher_id(image.get(), "bosh-libvirt-cpi");
  iso_image_set_data_preparer_id(image.get(), "bosh-libvirt-cpi");

  IsoDir* root = iso_image_get_root(image.get());
  SetFixedTimes(reinterpret_cast<IsoNode*>(root));
  IsoDir* ec2 = AddDir(image.get(), root, "ec2", "ec2");
  IsoDir* ec2_latest = AddDir(image.get(), ec2, "latest", "ec2/latest");
  AddFile(image.get(), ec2_latest, "meta-data.json", files.meta_data, "ec2/latest/meta-data.json");
  AddFile(image.get(), ec2_latest, "user-data", files.user_data, "ec2/latest/user-data");
  IsoDir* openstack = AddDir(image.get(), root, "openstack", "openstack");
  IsoDir* openstack_latest = AddDir(image.get(), openstack, "latest", "openstack/latest");
  AddFile(image.get(), openstack_latest, "meta_data.json", files.meta_data,
          "openstack/latest/meta_data.json");
  AddFile(image.get(), openstack_latest, "user_data", files.user_data,
          "openstack/latest/user_data");

  WriteOptsPtr opts = MakeWriteOptions();
  burn_source* raw_source = nullptr;
  Check(iso_image_create_burn_source(image.get(), opts.get(), &raw_source), "starting the writer");
  BurnSourcePtr source(raw_source);

  // The writer thread fills a ring buffer. A read delivers all bytes asked for or reports EOF
  // (dropping a short tail), so ask for whole blocks and never beyond the announced size.
  constexpr size_t kBlock = 2048;
  constexpr size_t kChunk = 32 * kBlock;
  const off_t announced = source->get_size(source.get());
  const size_t expected = announced > 0 ? static_cast<size_t>(announced) : 0;
  std::string iso;
  iso.reserve(expected);
  auto chunk = std::make_unique<unsigned char[]>(kChunk);
  for (;;) {
    size_t want = kBlock;
    if (expected > 0) {
      if (iso.size() >= expected) break;
      want = std::min(kChunk, expected - iso.size());
    }
    int n = source->read_xt(source.get(), chunk.get(), static_cast<int>(want));
    if (n < 0) {
      std::string detail = TakeQueuedMessage();
      throw Failure("writing the image", detail.empty() ? "the image writer failed" : detail);
    }
    if (n == 0) break;
    iso.append(reinterpret_cast<const char*>(chunk.get()), static_cast<size_t>(n));
  }
  if (iso.empty() || iso.size() % kBlock != 0 || (expected > 0 && iso.size() != expected)) {
    throw Failure("writing the image",
                  "got " + std::to_string(iso.size()) + " bytes of " + std::to_string(expected));
  }
  return iso;
}

}  // namespace cpi::media

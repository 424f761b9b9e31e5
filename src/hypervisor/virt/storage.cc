#include "bosh_libvirt_cpi/virt/storage.h"

#include <libvirt/virterror.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

// What an upload reads from its source per round, and the most a read-back holds. Every chunk
// is one RPC message, and libvirt's client copies it into its own buffer; the read-back of the
// last chunk is as large. 64 KiB instead of 256 KiB: the three touch ~0.55 MiB less of
// create_stemcell's peak RSS at the same import speed (BENCHMARKS.md); libvirt's limit is 256 KiB.
constexpr size_t kChunk = 64 * 1024;

// The last chunk of an upload that held data: where it went and a fingerprint of its bytes.
struct Tail {
  uint64_t offset = 0;
  size_t length = 0;
  size_t hash = 0;
};

size_t Fingerprint(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

// Streams `source` into `stream`; sends zero runs as holes when `sparse`. Records in `tail` the
// last chunk that carried data (a chunk of holes writes nothing that could be lost).
void SendAll(virStreamPtr stream, const ChunkSource& source, bool sparse, const std::string& what,
             Tail& tail) {
  // Not zero-filled: only the pages `source` writes are ever touched (peak RSS).
  std::unique_ptr<char[]> owned = std::make_unique_for_overwrite<char[]>(kChunk);
  std::span<char> buf(owned.get(), kChunk);
  uint64_t offset = 0;
  for (;;) {
    size_t n = source(buf.data(), buf.size());
    if (n == 0) return;
    bool data = !sparse;
    size_t off = 0;
    while (off < n) {
      if (sparse) {
        // Find the extent of zeros or data starting at off (4 KiB granularity for holes).
        constexpr size_t kBlock = 4096;
        size_t end = off;
        // All zero: the first byte is, and the block equals itself shifted by one byte. memcmp
        // is vectorised: 27x faster than the byte loop it replaces on zero runs (BENCHMARKS.md).
        auto is_zero_block = [&](size_t at) {
          size_t len = std::min(kBlock, n - at);
          const char* p = buf.data() + at;
          return p[0] == 0 && std::memcmp(p, p + 1, len - 1) == 0;
        };
        bool zero = is_zero_block(off);
        while (end < n && is_zero_block(end) == zero) end += std::min(kBlock, n - end);
        if (zero) {
          if (virStreamSendHole(stream, static_cast<long long>(end - off), 0) < 0) {
            throw Error::Last(what + ": sending hole");
          }
          off = end;
          continue;
        }
        data = true;
        while (off < end) {
          int sent = virStreamSend(stream, buf.data() + off, end - off);
          if (sent < 0) throw Error::Last(what + ": sending data");
          off += static_cast<size_t>(sent);
        }
      } else {
        int sent = virStreamSend(stream, buf.data() + off, n - off);
        if (sent < 0) throw Error::Last(what + ": sending data");
        off += static_cast<size_t>(sent);
      }
    }
    if (data) tail = {offset, n, Fingerprint(std::string_view(buf.data(), n))};
    offset += n;
  }
}

// `length` bytes of the volume from `offset`, through a stream.
std::string ReadRange(virConnectPtr conn, virStorageVolPtr vol, uint64_t offset, uint64_t length,
                      const std::string& what) {
  StreamPtr stream(virStreamNew(conn, 0));
  if (!stream) throw Error::Last(what);
  if (virStorageVolDownload(vol, stream.get(), offset, length, 0) < 0) throw Error::Last(what);
  // Received straight into `out` (no zero-filled buffer beside it), asking for no more than
  // the bytes still due: a read-back of a config drive touches only the pages of its bytes.
  std::string out;
  if (length > 0) out.reserve(static_cast<size_t>(std::min<uint64_t>(length, kChunk)) + 1);
  for (;;) {
    size_t have = out.size();
    size_t step = kChunk;
    if (length > 0) step = have < length ? std::min<uint64_t>(length - have, kChunk) : 1;
    out.resize(have + step);
    int n = virStreamRecv(stream.get(), out.data() + have, step);
    if (n < 0) {
      virStreamAbort(stream.get());
      throw Error::Last(what);
    }
    out.resize(have + static_cast<size_t>(n));
    if (n == 0) break;
  }
  if (virStreamFinish(stream.get()) < 0) throw Error::Last(what + ": finishing");
  return out;
}

// libvirt 9.0 can lose the daemon's write error of an upload: when the disk fills up, the
// daemon stops writing, yet every later send and virStreamFinish still succeed, and the volume
// silently ends in a hole (a config drive without its settings, a stemcell with a zeroed end).
// Since nothing after the first failed write reaches the file, reading back the last chunk that
// carried data proves the whole upload.
void VerifyTail(virConnectPtr conn, virStorageVolPtr vol, const Tail& tail,
                const std::string& what) {
  if (tail.length == 0) return;
  std::string back = ReadRange(conn, vol, tail.offset, tail.length, what + ": reading it back");
  if (back.size() == tail.length && Fingerprint(back) == tail.hash) return;
  std::string cause = "the volume does not hold the bytes written at its end";
  if (virStoragePoolPtr raw = virStoragePoolLookupByVolume(vol)) {
    StoragePoolPtr pool(raw);
    virStoragePoolInfo info{};
    if (virStoragePoolRefresh(pool.get(), 0) == 0 &&
        virStoragePoolGetInfo(pool.get(), &info) == 0 && info.available < tail.length) {
      cause += ": not enough space left in its storage pool (" + std::to_string(info.available) +
               " bytes available)";
    }
  }
  virResetLastError();
  throw Error(what + ": " + cause, VIR_ERR_OPERATION_FAILED, VIR_FROM_STORAGE);
}

}  // namespace

StorageVolPtr CreateVolume(virStoragePoolPtr pool, const std::string& xml,
                           const std::string& name) {
  virStorageVolPtr vol = virStorageVolCreateXML(pool, xml.c_str(), 0);
  if (vol == nullptr) throw Error::Last("creating volume " + Quote(name));
  return StorageVolPtr(vol);
}

bool DeleteVolume(virStoragePoolPtr pool, const std::string& name) {
  StorageVolPtr vol(virStorageVolLookupByName(pool, name.c_str()));
  if (!vol) {
    if (TakeLastErrorIf(VIR_ERR_NO_STORAGE_VOL)) return false;
    throw Error::Last("looking up volume " + Quote(name));
  }
  if (virStorageVolDelete(vol.get(), 0) < 0) {
    if (TakeLastErrorIf(VIR_ERR_NO_STORAGE_VOL)) return false;  // deleted meanwhile
    throw Error::Last("deleting volume " + Quote(name));
  }
  return true;
}

VolumeInfo GetVolumeInfo(virStorageVolPtr vol, const std::string& name) {
  virStorageVolInfo info{};
  if (virStorageVolGetInfo(vol, &info) < 0) throw Error::Last("reading volume " + Quote(name));
  return VolumeInfo{info.capacity, info.allocation};
}

std::string VolumePath(virStorageVolPtr vol, const std::string& name) {
  CString path(virStorageVolGetPath(vol));
  if (!path) throw Error::Last("reading path of volume " + Quote(name));
  return path.get();
}

std::string VolumeXml(virStorageVolPtr vol, const std::string& name) {
  CString xml(virStorageVolGetXMLDesc(vol, 0));
  if (!xml) throw Error::Last("reading volume " + Quote(name));
  return xml.get();
}

void ResizeVolume(virStorageVolPtr vol, uint64_t capacity_bytes, const std::string& name) {
  if (virStorageVolResize(vol, capacity_bytes, 0) < 0) {
    throw Error::Last("resizing volume " + Quote(name));
  }
}

void RefreshPool(virStoragePoolPtr pool, const std::string& name) {
  if (virStoragePoolRefresh(pool, 0) < 0) throw Error::Last("refreshing pool " + Quote(name));
}

std::vector<VolumeDescription> ListVolumeDescriptions(virStoragePoolPtr pool,
                                                      const std::string& pool_name) {
  virStorageVolPtr* raw = nullptr;
  int n = virStoragePoolListAllVolumes(pool, &raw, 0);
  if (n < 0) throw Error::Last("listing volumes of pool " + Quote(pool_name));
  std::vector<StorageVolPtr> vols;
  for (int i = 0; i < n; ++i) vols.emplace_back(raw[i]);
  free(raw);

  std::vector<VolumeDescription> out;
  for (const StorageVolPtr& vol : vols) {
    const char* name = virStorageVolGetName(vol.get());
    std::string vol_name = name != nullptr ? name : "";
    CString xml(virStorageVolGetXMLDesc(vol.get(), 0));
    if (xml) {
      out.push_back({vol_name, xml.get()});
    } else if (!TakeLastErrorIf(VIR_ERR_NO_STORAGE_VOL)) {  // not deleted meanwhile
      throw Error::Last("reading volume " + Quote(vol_name));
    }
  }
  return out;
}

namespace {

// Opens an upload stream into `vol`, runs `send` on it, and finishes it (aborts it on failure).
void Upload(virConnectPtr conn, virStorageVolPtr vol, unsigned int flags, const std::string& what,
            const std::function<void(virStreamPtr)>& send) {
  StreamPtr stream(virStreamNew(conn, 0));
  if (!stream) throw Error::Last(what);
  if (virStorageVolUpload(vol, stream.get(), 0, 0, flags) < 0) throw Error::Last(what);
  try {
    send(stream.get());
  } catch (...) {
    virStreamAbort(stream.get());
    throw;
  }
  if (virStreamFinish(stream.get()) < 0) throw Error::Last(what + ": finishing");
}

}  // namespace

void UploadVolume(virConnectPtr conn, virStorageVolPtr vol, const ChunkSource& source,
                  const std::string& name, bool sparse) {
  std::string what = "uploading to volume " + Quote(name);
  Tail tail;
  Upload(conn, vol, sparse ? VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM : 0, what,
         [&](virStreamPtr stream) { SendAll(stream, source, sparse, what, tail); });
  VerifyTail(conn, vol, tail, what);
}

void UploadBytes(virConnectPtr conn, virStorageVolPtr vol, std::string_view bytes,
                 const std::string& name) {
  std::string what = "uploading to volume " + Quote(name);
  size_t length = std::min(bytes.size(), kChunk);
  Tail tail{bytes.size() - length, length, Fingerprint(bytes.substr(bytes.size() - length))};
  // Sent straight from `bytes`: no chunk buffer to fill (a config drive is ~100 KiB).
  Upload(conn, vol, 0, what, [&](virStreamPtr stream) {
    while (!bytes.empty()) {
      int sent = virStreamSend(stream, bytes.data(), bytes.size());
      if (sent < 0) throw Error::Last(what + ": sending data");
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
  });
  VerifyTail(conn, vol, tail, what);
}

void UploadVolumeFrom(virConnectPtr conn, virStorageVolPtr vol, const ChunkWriter& writer,
                      const std::string& name) {
  std::string what = "uploading to volume " + Quote(name);
  Tail tail;
  uint64_t offset = 0;
  Upload(conn, vol, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM, what, [&](virStreamPtr stream) {
    writer([&](const char* data, uint64_t size) {
      if (data == nullptr) {
        if (size > 0 && virStreamSendHole(stream, static_cast<long long>(size), 0) < 0) {
          throw Error::Last(what + ": sending hole");
        }
        offset += size;
        return;
      }
      std::string_view bytes(data, size);
      // The proof reads back at most one chunk: the end of this piece.
      size_t kept = std::min<uint64_t>(size, kChunk);
      if (kept > 0) tail = {offset + size - kept, kept, Fingerprint(bytes.substr(size - kept))};
      while (!bytes.empty()) {
        int sent = virStreamSend(stream, bytes.data(), bytes.size());
        if (sent < 0) throw Error::Last(what + ": sending data");
        bytes.remove_prefix(static_cast<size_t>(sent));
      }
      offset += size;
    });
  });
  VerifyTail(conn, vol, tail, what);
}

namespace {

// What a download asks for per stream. Over a network connection libvirt's event loop thread
// (virt/open.cc) reads whatever the daemon sends as soon as it arrives and queues it without
// limit, so one stream for a whole volume that is consumed more slowly than it is read (a copy
// to a slower host) grows the process by up to the volume's size: +164 MiB copying 256 MiB of
// data. A stream per window bounds that queue: copying 1 GiB holding 256 MiB of data over TCP,
// 16 MiB windows cost +9-10 MiB peak RSS and 2.0-2.6 s (8 MiB: +4-6 MiB, 2.5-3.8 s; 32 MiB: up
// to +25 MiB, 1.6-2.8 s; one stream: +164 MiB, 1.2 s; a loaded 2-CPU machine).
constexpr uint64_t kDownloadWindow = 16 << 20;

// Streams `length` bytes of the volume from `offset` into `sink`; returns the bytes received,
// data and holes (fewer than `length` at the end of the volume).
uint64_t DownloadRange(virConnectPtr conn, virStorageVolPtr vol, uint64_t offset, uint64_t length,
                       const ChunkSink& sink, bool sparse, std::span<char> buf,
                       const std::string& what) {
  StreamPtr stream(virStreamNew(conn, 0));
  if (!stream) throw Error::Last(what);
  unsigned int flags = sparse ? VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM : 0;
  if (virStorageVolDownload(vol, stream.get(), offset, length, flags) < 0) {
    throw Error::Last(what);
  }
  uint64_t received = 0;
  try {
    for (;;) {
      int n = virStreamRecvFlags(stream.get(), buf.data(), buf.size(),
                                 sparse ? VIR_STREAM_RECV_STOP_AT_HOLE : 0);
      if (n == -3) {  // a hole comes next
        long long hole = 0;
        if (virStreamRecvHole(stream.get(), &hole, 0) < 0) {
          throw Error::Last(what + ": receiving hole");
        }
        sink(nullptr, static_cast<uint64_t>(hole));
        received += static_cast<uint64_t>(hole);
        continue;
      }
      if (n < 0) throw Error::Last(what);
      if (n == 0) break;
      sink(buf.data(), static_cast<uint64_t>(n));
      received += static_cast<uint64_t>(n);
    }
  } catch (...) {
    virStreamAbort(stream.get());
    throw;
  }
  if (virStreamFinish(stream.get()) < 0) throw Error::Last(what + ": finishing");
  return received;
}

}  // namespace

void DownloadVolumeTo(virConnectPtr conn, virStorageVolPtr vol, const ChunkSink& sink,
                      const std::string& name, bool sparse) {
  std::string what = "downloading volume " + Quote(name);
  std::unique_ptr<char[]> owned = std::make_unique_for_overwrite<char[]>(kChunk);
  std::span<char> buf(owned.get(), kChunk);
  for (uint64_t offset = 0;; offset += kDownloadWindow) {
    if (DownloadRange(conn, vol, offset, kDownloadWindow, sink, sparse, buf, what) <
        kDownloadWindow) {
      return;
    }
  }
}

PoolSpace GetPoolSpace(virStoragePoolPtr pool, const std::string& name) {
  virStoragePoolInfo info{};
  if (virStoragePoolGetInfo(pool, &info) < 0) {
    throw Error::Last("reading the space of storage pool " + Quote(name));
  }
  return PoolSpace{info.capacity, info.allocation, info.available};
}

std::string DownloadVolume(virConnectPtr conn, virStorageVolPtr vol, const std::string& name,
                           uint64_t max_bytes) {
  // A length of 0 asks libvirt for everything to the volume's end.
  return ReadRange(conn, vol, 0, max_bytes, "downloading volume " + Quote(name));
}

}  // namespace cpi::virt

// The virt layer against the real libvirtd as a remote host: a TCP connection through a proxy
// this test runs (qemu+tcp://127.0.0.1:<port> forwarded to /var/run/libvirt/libvirt-sock), which
// it can freeze to play a host that stops answering. Bounded connect, keepalive, host facts and
// the streaming copy of a volume between two connections (issue 18).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bosh_libvirt_cpi/util/handle.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/objects.h"
#include "support/libvirt_world.h"
#include "support/loopback.h"

namespace cpi::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Forwards every connection to 127.0.0.1:port() to libvirtd's socket, byte for byte, until
// Freeze(): then it keeps the connections open but moves nothing (a host gone silent).
class FreezableProxy {
 public:
  FreezableProxy() : listener_(ListenOnLoopback()) {
    thread_ = std::thread([this] { Run(); });
  }
  ~FreezableProxy() {
    stop_ = true;
    thread_.join();
  }

  std::string Uri() const {
    return "qemu+tcp://127.0.0.1:" + std::to_string(listener_.port) + "/system";
  }
  void Freeze() { frozen_ = true; }

 private:
  static util::UniqueFd ConnectDaemon() {
    util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/var/run/libvirt/libvirt-sock");
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
    return fd;
  }

  // One loop for the listener and every pair of sockets; a pair ends when either side closes.
  void Run() {
    std::vector<std::pair<util::UniqueFd, util::UniqueFd>> pairs;
    char buf[65536];
    while (!stop_) {
      std::vector<pollfd> fds{{listener_.fd.get(), POLLIN, 0}};
      if (!frozen_) {
        for (auto& [a, b] : pairs) {
          fds.push_back({a.get(), POLLIN, 0});
          fds.push_back({b.get(), POLLIN, 0});
        }
      }
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        util::UniqueFd client(accept(listener_.fd.get(), nullptr, nullptr));
        util::UniqueFd daemon = ConnectDaemon();
        if (client && daemon) pairs.emplace_back(std::move(client), std::move(daemon));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto& pair = pairs[(i - 1) / 2];
        int from = fds[i].fd;
        int to = from == pair.first.get() ? pair.second.get() : pair.first.get();
        ssize_t n = read(from, buf, sizeof buf);
        bool ok = n > 0;
        for (ssize_t off = 0; ok && off < n;) {
          ssize_t w = write(to, buf + off, n - off);
          ok = w > 0;
          off += w;
        }
        if (!ok) {
          pair.first.reset();
          pair.second.reset();
        }
      }
      std::erase_if(pairs, [](const auto& p) { return !p.first; });
    }
  }

  LoopbackListener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::thread thread_;
};

TEST(LibvirtRemoteVirtTest, ReportsHostFactsOverTheNetwork) {
  LibvirtWorld world("facts");
  FreezableProxy proxy;
  std::unique_ptr<virt::Connection> conn = virt::Connect(proxy.Uri(), 10);
  EXPECT_GT(conn->FreeMemoryBytes(), 16ull << 20);
  EXPECT_EQ(conn->LibraryVersion().substr(0, 2), "9.");
  EXPECT_FALSE(conn->HypervisorVersion().empty());
  virt::PoolSpace space = conn->FindPool(world.pool())->Space();
  EXPECT_GT(space.capacity, 0u);
  EXPECT_LE(space.available, space.capacity);
  EXPECT_LE(space.allocation, space.capacity);
}

TEST(LibvirtRemoteVirtTest, ACallTheHostStopsAnsweringFailsRetryablyAfterAboutTheTimeout) {
  FreezableProxy proxy;
  std::unique_ptr<virt::Connection> conn = virt::Connect(proxy.Uri(), /*timeout_seconds=*/4);
  EXPECT_GT(conn->FreeMemoryBytes(), 0u);
  proxy.Freeze();
  Clock::time_point start = Clock::now();
  try {
    conn->FreeMemoryBytes();
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
  auto took = Clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(12));
  std::printf("a frozen host was detected after %.1f s (timeout 4 s)\n",
              std::chrono::duration<double>(took).count());
}

TEST(LibvirtRemoteVirtTest, ConnectingToAFrozenHostFailsRetryablyInTime) {
  FreezableProxy proxy;
  proxy.Freeze();
  Clock::time_point start = Clock::now();
  try {
    virt::Connect(proxy.Uri(), /*timeout_seconds=*/2);
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    EXPECT_TRUE(e.transient()) << e.what();
    EXPECT_NE(std::string(e.what()).find("no answer in 2 s"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Fills `volume` (1 GiB) with `data_mib` MiB of data spread in 8 runs, holes between them.
void WriteSparse(virt::Volume& volume, uint64_t size, int data_mib) {
  volume.UploadFrom([&](const virt::ChunkSink& sink) {
    std::string block(1 << 20, '\0');
    uint64_t run = static_cast<uint64_t>(data_mib) / 8 << 20;
    uint64_t gap = (size - 8 * run) / 8;
    for (int r = 0; r < 8; ++r) {
      for (uint64_t done = 0; done < run; done += block.size()) {
        std::memset(block.data(), 'a' + r + done % 7, block.size());
        sink(block.data(), block.size());
      }
      sink(nullptr, gap);
    }
  });
}

// Reads the file behind a volume and hashes it, a chunk at a time.
size_t FileHash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(1 << 20, '\0');
  size_t h = 0;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    h = h * 31 + std::hash<std::string_view>{}(std::string_view(buf.data(), in.gcount()));
  }
  return h;
}

TEST(LibvirtRemoteVirtTest, CopiesA1GiBSparseVolumeBetweenHostsInBoundedMemory) {
  LibvirtWorld from_world("copyfrom");
  LibvirtWorld to_world("copyto");
  FreezableProxy proxy;
  constexpr uint64_t kSize = 1ull << 30;
  std::string xml = "<volume><name>copy-src</name><capacity unit='bytes'>" + std::to_string(kSize) +
                    "</capacity><allocation>0</allocation><target><format type='raw'/></target>"
                    "</volume>";
  // The source host is reached over TCP (keepalive and the event loop on), the target locally.
  std::unique_ptr<virt::Connection> remote = virt::Connect(proxy.Uri(), 10);
  std::unique_ptr<virt::Connection> local = virt::Connect(to_world.uri(), 10);
  std::unique_ptr<virt::Volume> src =
      remote->FindPool(from_world.pool())->CreateVolume(xml, "copy-src");
  WriteSparse(*src, kSize, 256);
  std::string dst_xml = xml;
  dst_xml.replace(dst_xml.find("copy-src"), 8, "copy-dst");
  std::unique_ptr<virt::Volume> dst =
      local->FindPool(to_world.pool())->CreateVolume(dst_xml, "copy-dst");

  long before = PeakRssKib();
  Clock::time_point start = Clock::now();
  virt::CopyVolume(*src, *dst);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  long grown = PeakRssKib() - before;
  std::printf("copied 1 GiB (256 MiB data) in %.2f s; peak RSS %ld KiB -> +%ld KiB\n", seconds,
              before, grown);
  EXPECT_LT(grown, 32 * 1024) << "the copy must stream, not hold the volume";

  EXPECT_EQ(FileHash(dst->Path()), FileHash(src->Path()));
  virt::VolumeInfo info = dst->Info();
  EXPECT_EQ(info.capacity, kSize);
  EXPECT_LT(info.allocation, 300ull << 20) << "holes stayed holes";
}

// The operator's view over two hosts: the real libvirtd (its test pool) and one that never
// answers; the command asks both at once and ends within the silent host's timeout.
TEST(LibvirtRemoteVirtTest, HostsCommandShowsEachHostWithinItsTimeout) {
  LibvirtWorld world("hostscmd");
  LoopbackListener silent = ListenOnLoopback();
  std::string config = world.config_path() + ".hosts.json";
  {
    std::ofstream out(config);
    out << R"({"hosts": [{"name": "kvm-a", "az": "z1", "uri": ")" << world.uri()
        << R"(", "storage_pool": ")" << world.pool()
        << R"("}, {"name": "kvm-b", "az": "z2", "timeout_seconds": 2, "storage_pool": "bosh",)"
        << R"( "uri": "qemu+tcp://bosh:s3cret@127.0.0.1:)" << silent.port << R"(/system"}]})";
  }
  Clock::time_point start = Clock::now();
  std::string command = std::string(CPI_EXECUTABLE) + " hosts --config " + config + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  int status = pclose(pipe);
  auto took = Clock::now() - start;
  std::remove(config.c_str());

  EXPECT_EQ(WEXITSTATUS(status), 1) << "a host did not answer: " << output;
  EXPECT_LT(took, std::chrono::seconds(5)) << output;
  EXPECT_NE(output.find("kvm-a (key "), std::string::npos) << output;
  EXPECT_NE(output.find("az z1 qemu:///system: reachable, libvirt 9."), std::string::npos)
      << output;
  EXPECT_NE(output.find("pool '" + world.pool() + "'"), std::string::npos) << output;
  EXPECT_NE(output.find(": UNREACHABLE: connecting to libvirt at 'qemu+tcp://bosh:***@127.0.0.1:"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("no answer in 2 s"), std::string::npos) << output;
  EXPECT_EQ(output.find("s3cret"), std::string::npos) << output;
}

}  // namespace
}  // namespace cpi::testing

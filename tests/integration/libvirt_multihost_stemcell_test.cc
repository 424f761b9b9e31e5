// Stemcells over two "hosts" on the real libvirtd (docs/MULTIHOST.md, "Stemcells"): two entries
// of `hosts` with the same qemu:///system URI and two private pools. create_stemcell puts the
// image into both pools; create_vm on a host whose pool lost it copies it back through libvirt
// streams; delete_stemcell removes both. Prints the times of an import into one pool and into
// two, and of the copy (BENCHMARKS.md).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"
#include "support/test_stemcell.h"
#include "support/test_tar.h"

namespace cpi::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU seconds (user + system) of the child processes waited for so far.
double ChildCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class LibvirtMultiHostStemcellTest : public ::testing::Test {
 protected:
  LibvirtMultiHostStemcellTest() : a_("mhsc-a"), b_("mhsc-b") {
    // One config, two hosts: the same daemon, each host its own pool and network.
    json config = json::parse(a_.ConfigJson());
    json host_a = {
        {"name", "mhsc-a"}, {"key", "gh"}, {"storage_pool", a_.pool()}, {"network", a_.network()}};
    json host_b = {
        {"name", "mhsc-b"}, {"key", "gj"}, {"storage_pool", b_.pool()}, {"network", b_.network()}};
    config["hosts"] = {host_a, host_b};
    config_path_ = a_.config_path() + ".hosts.json";
    std::ofstream(config_path_) << config.dump(2);
    image_ = TestStemcellDir() + "/image-qcow2";
  }
  ~LibvirtMultiHostStemcellTest() override {
    std::error_code ignored;
    std::filesystem::remove(config_path_, ignored);
  }

  json Call(const std::string& config, const std::string& method, const json& arguments) {
    std::string err;
    json r = CallCpi(config, method, arguments, 2, &err);
    EXPECT_TRUE(r.contains("result") && r["error"].is_null()) << method << ": " << r.dump() << err;
    return r.value("result", json());
  }

  json Networks(LibvirtWorld& world) {
    return {{"default",
             {{"type", "manual"},
              {"ip", world.subnet_prefix() + ".10"},
              {"netmask", "255.255.255.0"},
              {"gateway", world.subnet_prefix() + ".1"},
              {"cloud_properties", {{"network", world.network()}}}}}};
  }

  std::string CreateVm(const std::string& stemcell, const std::string& host, LibvirtWorld& world) {
    json r = Call(config_path_, "create_vm",
                  {"agent-" + std::to_string(getpid()),
                   stemcell,
                   {{"host", host}, {"cpu", 1}, {"memory", 128}},
                   Networks(world),
                   json::array(),
                   json::object()});
    return r.is_array() && !r.empty() ? r[0].get<std::string>() : "";
  }

  // Deletes the stemcell's volumes from `world`'s pool behind the CPI's back.
  void DeleteByHand(const std::string& stemcell, size_t host) {
    config::Config config = config::Load(ReadFile(config_path_), "test", std::nullopt);
    host::Host h = host::Host::Open(config, config.hosts.at(host));
    EXPECT_TRUE(h.Pool().DeleteVolume(stemcell));
    EXPECT_TRUE(h.Pool().DeleteVolume(names::StemcellPropertiesVolume(stemcell)));
  }

  LibvirtWorld a_, b_;
  std::string config_path_, image_;
};

TEST_F(LibvirtMultiHostStemcellTest, EveryPoolGetsItAMissingCopyComesBackAndDeleteTakesBoth) {
  json props = {{"disk_format", "qcow2"}, {"os_type", "linux"}};
  std::string cid = Call(config_path_, "create_stemcell", {image_, props});
  ASSERT_FALSE(cid.empty());
  for (LibvirtWorld* w : {&a_, &b_}) {
    EXPECT_TRUE(Contains(w->Volumes(), cid)) << w->pool();
    EXPECT_TRUE(Contains(w->Volumes(), names::StemcellPropertiesVolume(cid))) << w->pool();
  }
  std::string original = ReadFile(a_.pool_dir() + "/" + cid);
  EXPECT_EQ(ReadFile(b_.pool_dir() + "/" + cid), original);

  // mhsc-b loses it; its next create_vm copies it from mhsc-a through libvirt streams.
  DeleteByHand(cid, 1);
  ASSERT_FALSE(Contains(b_.Volumes(), cid));
  std::string vm = CreateVm(cid, "mhsc-b", b_);
  ASSERT_FALSE(vm.empty());
  EXPECT_EQ(vm.substr(0, 6), "vm-gj-");
  EXPECT_TRUE(Contains(b_.Volumes(), names::StemcellPropertiesVolume(cid)));
  EXPECT_EQ(ReadFile(b_.pool_dir() + "/" + cid), original) << "the copy has the same bytes";
  Call(config_path_, "delete_vm", {vm});

  Call(config_path_, "delete_stemcell", {cid});
  for (LibvirtWorld* w : {&a_, &b_}) {
    EXPECT_FALSE(Contains(w->Volumes(), cid)) << w->pool();
    EXPECT_FALSE(Contains(w->Volumes(), names::StemcellPropertiesVolume(cid))) << w->pool();
  }
}

// A host whose pool is full fails the call (NoDiskSpace, naming it) and the other host's copy,
// imported at the same time, is removed again.
TEST_F(LibvirtMultiHostStemcellTest, FullPoolOnOneHostLeavesTheStemcellOnNone) {
  TmpfsPool full(a_.conn(), "4m");
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  json config = json::parse(ReadFile(config_path_));
  config["hosts"][1]["storage_pool"] = full.name();
  std::ofstream(config_path_) << config.dump(2);
  std::string image = config_path_ + ".image";
  std::string noisy(16 << 20, '\0');
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] = static_cast<char>((i * 2654435761u) >> 13);
  WriteTar(image, {{"root.img", noisy}});
  json r = CallCpi(config_path_, "create_stemcell", {image, {{"disk_format", "raw"}}});
  std::filesystem::remove(image);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::NoDiskSpace") << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("on host 'mhsc-b'"), std::string::npos)
      << r.dump();
  for (const std::string& v : a_.Volumes()) EXPECT_EQ(v.rfind("sc-", 0), std::string::npos) << v;
  EXPECT_TRUE(full.Volumes().empty());
}

// The figures of BENCHMARKS.md: create_stemcell into one pool (the single-host config) and into
// two (the hosts config), interleaved, and the copy of the lazy path (the time the CPI logs), for
// both test images. $CPI_MULTIHOST_BENCH_ROUNDS rounds (default 1).
TEST_F(LibvirtMultiHostStemcellTest, ImportIntoTwoPoolsAndCopyTimes) {
  const char* env = std::getenv("CPI_MULTIHOST_BENCH_ROUNDS");
  int rounds = env ? std::max(1, std::atoi(env)) : 1;
  for (const std::string format : {"qcow2", "raw"}) {
    std::string image = TestStemcellDir() + "/image-" + format;
    json props = {{"disk_format", format}};
    std::vector<double> one, two, copy, one_cpu, two_cpu;
    for (int i = 0; i < rounds; ++i) {
      auto started = Clock::now();
      double cpu = ChildCpuSeconds();
      std::string single = Call(a_.config_path(), "create_stemcell", {image, props});
      one.push_back(Seconds(started));
      one_cpu.push_back(ChildCpuSeconds() - cpu);
      Call(a_.config_path(), "delete_stemcell", {single});
      started = Clock::now();
      cpu = ChildCpuSeconds();
      std::string cid = Call(config_path_, "create_stemcell", {image, props});
      two.push_back(Seconds(started));
      two_cpu.push_back(ChildCpuSeconds() - cpu);
      DeleteByHand(cid, 1);
      std::string err;
      json r = CallCpi(config_path_, "create_vm",
                       {"agent-bench",
                        cid,
                        {{"host", "mhsc-b"}, {"cpu", 1}, {"memory", 128}},
                        Networks(b_),
                        json::array(),
                        json::object()},
                       2, &err);
      size_t at = err.find("copied stemcell");
      size_t in = err.find(" in ", at);
      if (at != std::string::npos && in != std::string::npos) {
        copy.push_back(std::atof(err.c_str() + in + 4));
      }
      if (r.contains("result") && r["result"].is_array()) {
        Call(config_path_, "delete_vm", json::array({r["result"][0]}));
      }
      Call(config_path_, "delete_stemcell", {cid});
    }
    auto median = [](std::vector<double> v) {
      if (v.empty()) return 0.0;
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::cout << "image-" << format << " (" << std::filesystem::file_size(image)
              << " bytes), median of " << rounds << ": create_stemcell one pool " << median(one)
              << " s, two pools " << median(two) << " s (" << median(two) / median(one)
              << "x; CPI CPU " << median(one_cpu) << " s vs " << median(two_cpu)
              << " s); lazy copy " << median(copy) << " s (" << copy.size() << " measured)"
              << std::endl;
  }
}

}  // namespace
}  // namespace cpi::testing

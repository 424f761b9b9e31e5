// Stemcells over several fake hosts (docs/MULTIHOST.md, "Stemcells"): create_stemcell imports
// into every host at once and skips hosts that do not answer; a real failure removes every copy;
// create_vm copies the stemcell onto a host that lacks it; delete_stemcell goes on past a host
// that does not answer. The same flows on a real libvirtd:
// tests/integration/libvirt_stemcell_test.cc.
#include "bosh_libvirt_cpi/stemcell/hosts.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"
#include "support/fake_virt.h"
#include "support/test_tar.h"

namespace cpi::stemcell {
namespace {

using testing::FakeCloud;
using testing::FakeHypervisor;

constexpr uint64_t kMiB = 1024 * 1024;

// 1 MiB of raw image, no byte zero (so no run of it is sent as a hole).
std::string ImageBytes() {
  std::string s(kMiB, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(1 + i % 251);
  return s;
}

class StemcellHostsTest : public ::testing::Test {
 protected:
  StemcellHostsTest() : StemcellHostsTest(2) {}
  explicit StemcellHostsTest(size_t hosts) : cloud_(hosts) {
    tarball_ = (cloud_.lock_dir / "image").string();
    testing::WriteTar(tarball_, {{"root.img", ImageBytes()}});
    for (config::HostConfig& spec : cloud_.config.hosts) {
      spec.libvirt.domain_type = config::DomainType::kQemu;
    }
    cloud_.config.agent.mbus = "nats://10.0.0.6:4222";
  }

  std::string Import() {
    return ImportOnEveryHost(cloud_.config, cloud_.Opener(), Image(), {{"disk_format", "raw"}});
  }
  ImageOpener Image() const {
    return [path = tarball_] { return RootImage::Open(path, std::nullopt); };
  }

  // The error `f` throws; fails the test when it throws none.
  template <typename F>
  Error Failure(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error";
    return CloudError("none");
  }

  FakeHypervisor& hv(size_t i) { return *cloud_.hvs[i]; }
  bool Has(size_t i, const std::string& cid) {
    return hv(i).volumes.count(cid) == 1 &&
           hv(i).volumes.count(names::StemcellPropertiesVolume(cid)) == 1;
  }
  static bool Names(const Error& e, const std::string& text) {
    return std::string(e.what()).find(text) != std::string::npos;
  }

  FakeCloud cloud_;
  std::string tarball_;
};

TEST_F(StemcellHostsTest, ImportsIntoEveryHostAtOnceUnderOneCid) {
  // Each import opens its own stream of the tarball; both must be open at the same time.
  std::mutex mutex;
  std::condition_variable both;
  int opened = 0;
  bool overlapped = false;
  ImageOpener image = [&] {
    std::unique_lock<std::mutex> lock(mutex);
    ++opened;
    both.notify_all();
    if (both.wait_for(lock, std::chrono::seconds(10), [&] { return opened == 2; })) {
      overlapped = true;
    }
    return RootImage::Open(tarball_, std::nullopt);
  };
  std::string cid = ImportOnEveryHost(cloud_.config, cloud_.Opener(), image, {{"a", 1}});
  EXPECT_TRUE(overlapped) << "the hosts were imported one after the other";
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(Has(i, cid)) << i;
    EXPECT_EQ(hv(i).volumes[cid].content, ImageBytes());
    EXPECT_EQ(hv(i).volumes[names::StemcellPropertiesVolume(cid)].content, R"({"a":1})");
  }
}

TEST_F(StemcellHostsTest, HostThatDoesNotAnswerIsSkippedWhenAnotherGotIt) {
  cloud_.down = {"kvm-b"};
  std::string cid = Import();
  EXPECT_TRUE(Has(0, cid));
  EXPECT_TRUE(hv(1).volumes.empty());
}

TEST_F(StemcellHostsTest, NoHostAnsweringIsARetryableCloudErrorNamingEach) {
  cloud_.down = {"kvm-a", "kvm-b"};
  Error e = Failure([&] { Import(); });
  EXPECT_EQ(e.type(), ErrorType::kCloudError);
  EXPECT_TRUE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, "host 'kvm-a'")) << e.what();
  EXPECT_TRUE(Names(e, "host 'kvm-b'")) << e.what();
}

TEST_F(StemcellHostsTest, RealFailureOnOneHostRemovesTheCopiesOfTheOthers) {
  hv(1).fail = {"^create_volume sc-"};
  Error e = Failure([&] { Import(); });
  EXPECT_EQ(e.type(), ErrorType::kCloudError);
  EXPECT_FALSE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, "on host 'kvm-b'")) << e.what();
  EXPECT_TRUE(hv(0).volumes.empty()) << "kvm-a's copy is removed again";
  EXPECT_EQ(hv(0).CallsStartingWith("delete_volume sc-").size(), 2u);
  EXPECT_TRUE(hv(1).volumes.empty());
}

TEST_F(StemcellHostsTest, RealFailureBesideAHostDownIsNotRetryable) {
  cloud_.down = {"kvm-a"};
  hv(1).fail = {"^upload sc-"};
  Error e = Failure([&] { Import(); });
  EXPECT_FALSE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, "host 'kvm-a'")) << e.what();
  EXPECT_TRUE(Names(e, "host 'kvm-b'")) << e.what();
  EXPECT_TRUE(hv(1).volumes.empty());
}

class SharedStemcellHostsTest : public StemcellHostsTest {
 protected:
  SharedStemcellHostsTest() : StemcellHostsTest(3) {
    // kvm-a and kvm-b see one storage (one fake hypervisor's pool); kvm-c has its own.
    cloud_.config.hosts[0].shared = cloud_.config.hosts[1].shared = true;
    cloud_.hypervisor_of[1] = 0;
  }
};

TEST_F(SharedStemcellHostsTest, SharedHostsGetOneImportAndOthersTheirOwn) {
  std::string cid = Import();
  EXPECT_EQ(hv(0).CallsStartingWith("upload " + cid).size(), 2u) << "root.img and sidecar, once";
  EXPECT_TRUE(Has(0, cid));
  EXPECT_TRUE(Has(2, cid));
  EXPECT_TRUE(hv(1).calls.empty()) << "kvm-b's hypervisor is never used";
}

TEST_F(SharedStemcellHostsTest, FirstSharedHostDownImportsThroughTheNext) {
  cloud_.down = {"kvm-a"};
  std::string cid = Import();
  EXPECT_TRUE(Has(0, cid));  // the storage kvm-a and kvm-b share
  EXPECT_TRUE(Has(2, cid));
}

class LazyCopyTest : public StemcellHostsTest {
 protected:
  LazyCopyTest() {
    cid_ = util::NewStemcellCid();
    hv(0).AddVolume(cid_, 64 * kMiB, "qcow2");
    hv(0).volumes[cid_].content = "qcow2 bytes";
    hv(0).AddVolume(names::StemcellPropertiesVolume(cid_), 7);
    hv(0).volumes[names::StemcellPropertiesVolume(cid_)].content = R"({"a":1})";
  }

  vm::CreatedVm CreateVmOn(size_t i) {
    host::Host host = cloud_.Open(i);
    vm::CreateVmInput in;
    in.agent_id = "agent-1";
    in.stemcell_cid = cid_;
    in.cloud_properties = {{"cpu", 1}, {"memory", 256}};
    in.networks = {{"default", {{"type", "dynamic"}}}};
    in.open_host = cloud_.Opener();
    return vm::CreateVm(host, in);
  }

  std::string cid_;
};

TEST_F(LazyCopyTest, CreateVmCopiesTheStemcellFromAHostThatHasItOnce) {
  std::string vm = CreateVmOn(1).cid;
  ASSERT_TRUE(Has(1, cid_));
  const FakeHypervisor::Volume& copy = hv(1).volumes[cid_];
  EXPECT_EQ(copy.content, "qcow2 bytes");
  EXPECT_EQ(copy.format, "qcow2");
  EXPECT_EQ(copy.capacity, 64 * kMiB);
  EXPECT_EQ(hv(1).volumes[names::StemcellPropertiesVolume(cid_)].content, R"({"a":1})");
  EXPECT_EQ(hv(1).volumes[names::RootVolume(vm)].backing_path, copy.path);
  // The second VM finds it there.
  CreateVmOn(1);
  EXPECT_EQ(hv(0).CallsStartingWith("download").size(), 1u);
  for (const auto& entry : std::filesystem::directory_iterator(cloud_.lock_dir)) {
    EXPECT_EQ(entry.path().filename().string().find("stemcell-"), std::string::npos)
        << entry.path() << " is left";
  }
}

TEST_F(LazyCopyTest, FailedCopyLeavesNoHalfVolume) {
  hv(1).fail = {"^upload sc-"};
  Error e = Failure([&] { CreateVmOn(1); });
  EXPECT_EQ(e.type(), ErrorType::kCloudError);  // before any change of create_vm's own
  EXPECT_TRUE(Names(e, "from host 'kvm-a' to host 'kvm-b'")) << e.what();
  EXPECT_TRUE(hv(1).volumes.empty());
  EXPECT_TRUE(Has(0, cid_));
}

TEST_F(LazyCopyTest, NoHostWithTheStemcellIsNotFoundNamingTheHostsAsked) {
  hv(0).volumes.clear();
  Error e = Failure([&] { CreateVmOn(1); });
  EXPECT_FALSE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, "stemcell '" + cid_ + "' not found")) << e.what();
  EXPECT_TRUE(Names(e, "'kvm-a'")) << e.what();
  EXPECT_TRUE(hv(1).volumes.empty());
}

TEST_F(LazyCopyTest, SourceHostDownMakesNotFoundRetryable) {
  cloud_.down = {"kvm-a"};
  Error e = Failure([&] { CreateVmOn(1); });
  EXPECT_TRUE(e.ok_to_retry()) << e.what();
  EXPECT_TRUE(Names(e, "not found")) << e.what();
}

TEST_F(LazyCopyTest, DeleteGoesOnPastAHostDownAndTheRetryFinishes) {
  hv(1).AddVolume(cid_, 64 * kMiB, "qcow2");
  hv(1).AddVolume(names::StemcellPropertiesVolume(cid_), 7);
  cloud_.down = {"kvm-a"};
  Error e = Failure([&] { DeleteOnEveryHost(cloud_.config, cloud_.Opener(), cid_); });
  EXPECT_EQ(e.type(), ErrorType::kCloudError);
  EXPECT_TRUE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, "on host 'kvm-a'")) << e.what();
  EXPECT_TRUE(hv(1).volumes.empty()) << "kvm-b's copy is deleted all the same";
  cloud_.down.clear();
  DeleteOnEveryHost(cloud_.config, cloud_.Opener(), cid_);
  EXPECT_TRUE(hv(0).volumes.empty());
}

TEST_F(LazyCopyTest, DeleteRefusedOnOneHostStaysARefusal) {
  std::string vm = CreateVmOn(1).cid;  // a VM on kvm-b's copy
  cloud_.down = {"kvm-a"};
  Error e = Failure([&] { DeleteOnEveryHost(cloud_.config, cloud_.Opener(), cid_); });
  EXPECT_EQ(e.type(), ErrorType::kCloudError);
  EXPECT_FALSE(e.ok_to_retry());
  EXPECT_TRUE(Names(e, vm)) << e.what();
  EXPECT_TRUE(Has(1, cid_));
}

}  // namespace
}  // namespace cpi::stemcell

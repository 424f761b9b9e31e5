// create_stemcell / delete_stemcell against the real libvirtd, in a private pool: what lands in
// the pool (format, capacity, bytes, sidecar), that every failure leaves the pool as it was, and
// that delete is idempotent but refuses to pull a base image from under a VM.
#include <libvirt/libvirt.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/cpi.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/rpc/dispatcher.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "support/libvirt_world.h"
#include "support/process.h"

namespace cpi::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMiB = 1024 * 1024;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

// Runs a shell command; the test fails with its output when it does not exit 0.
void Sh(const std::string& command) {
  ProcessResult r = RunProcess({"/bin/sh", "-c", command}, "");
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
}

std::string Request(const std::string& method, const json& arguments) {
  return json{{"method", method},
              {"arguments", arguments},
              {"context", {{"director_uuid", "d-1"}, {"request_id", "cpi-123456"}}},
              {"api_version", 2}}
      .dump();
}

class LibvirtStemcellTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable()) << "libvirtd is not running; run scripts/setup.sh";
    world_ = new LibvirtWorld("stemcell");
    std::string pattern = (fs::temp_directory_path() / "libvirt_stemcell_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }

  LibvirtWorld& world() { return *world_; }
  static std::string Scratch(const std::string& name) { return scratch_ + "/" + name; }

  // Packs `root_img` as `image` (a gzip tar holding root.img, as in a stemcell tarball).
  static std::string Pack(const std::string& name, const std::string& root_img, bool gzip = true) {
    std::string dir = Scratch(name + ".d");
    fs::create_directories(dir);
    fs::copy_file(root_img, dir + "/root.img", fs::copy_options::overwrite_existing);
    std::string image = Scratch(name);
    Sh(std::string("tar ") + (gzip ? "czf " : "cf ") + image + " -C " + dir + " root.img");
    fs::remove_all(dir);
    return image;
  }

  // A raw disk of `size` bytes with random data in its first MiB and at its middle, zeros
  // elsewhere (like a real disk's free space).
  static std::string MakeRaw(const std::string& name, uint64_t size, unsigned seed = 1) {
    std::string path = Scratch(name);
    std::string content(size, '\0');
    std::string data = RandomBytes(kMiB, seed);
    content.replace(0, kMiB, data);
    content.replace(size / 2, kMiB, RandomBytes(kMiB, seed + 1));
    WriteFile(path, content);
    return path;
  }

  // A compressed qcow2 (compat 0.10), made like the stemcell builder makes them.
  static std::string MakeQcow2(const std::string& name, uint64_t size) {
    std::string raw = MakeRaw(name + ".raw", size, 11);
    std::string path = Scratch(name);
    Sh("qemu-img convert -q -c -f raw -O qcow2 -o compat=0.10 " + raw + " " + path);
    fs::remove(raw);
    return path;
  }

  // One call through the real executable.
  json RunExecutable(const std::string& request, std::string* err = nullptr) {
    ProcessResult r = RunCpi(request, {"--config", world().config_path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err != nullptr) *err = r.err;
    return json::parse(r.out);
  }

  // One call in this process (same dispatcher, the module's code linked in).
  json RunInProcess(const std::string& request, const std::string& config_path = "") {
    rpc::Options options{.run = &RunMethod};
    options.config_path = config_path.empty() ? world().config_path() : config_path;
    return json::parse(rpc::Handle(request, options));
  }

  host::Host OpenHost() {
    config_ = config::Load(ReadFile(world().config_path()), "test", std::nullopt);
    return host::Host::Open(config_);
  }

  std::string VolumeXml(const std::string& name) {
    host::Host host = OpenHost();
    std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
    if (!vol) return "";
    return vol->Xml();
  }

  std::string Download(const std::string& name) {
    host::Host host = OpenHost();
    std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
    if (!vol) return "";
    return vol->Download(/*max_bytes=*/0);
  }

  std::vector<std::string> SortedVolumes() {
    std::vector<std::string> v = world().Volumes();
    std::sort(v.begin(), v.end());
    return v;
  }

  static LibvirtWorld* world_;
  static std::string scratch_;
  config::Config config_;
};

LibvirtWorld* LibvirtStemcellTest::world_ = nullptr;
std::string LibvirtStemcellTest::scratch_;

TEST_F(LibvirtStemcellTest, ImportsQcow2ThroughTheExecutable) {
  std::string qcow2 = MakeQcow2("q1.qcow2", 48 * kMiB);
  std::string image = Pack("q1.image", qcow2);
  json props = {{"name", "bosh-openstack-kvm-ubuntu-jammy-go_agent"},
                {"version", "1.500"},
                {"disk", 48},
                {"disk_format", "qcow2"},
                {"container_format", "bare"}};
  std::string err;
  json response = RunExecutable(Request("create_stemcell", {image, props}), &err);
  ASSERT_TRUE(response["error"].is_null()) << response.dump();
  std::string cid = response["result"];
  EXPECT_TRUE(util::IsStemcellCid(cid)) << cid;
  EXPECT_NE(err.find("100% ("), std::string::npos) << err;  // progress on stderr

  std::vector<std::string> vols = world().Volumes();
  EXPECT_EQ(std::count(vols.begin(), vols.end(), cid), 1);
  EXPECT_EQ(std::count(vols.begin(), vols.end(), cid + "-props"), 1);

  xml::Document doc = xml::Document::Parse(VolumeXml(cid), "volume");
  EXPECT_EQ(doc.String("/volume/target/format/@type"), "qcow2");
  EXPECT_EQ(doc.String("/volume/capacity"), std::to_string(48 * kMiB));
  EXPECT_EQ(Download(cid), ReadFile(qcow2));

  host::Host host = OpenHost();
  EXPECT_EQ(stemcell::ReadStemcellProperties(host, cid), props);
  std::optional<stemcell::StemcellImage> described = stemcell::DescribeStemcell(host, cid);
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ(described->format, "qcow2");
  EXPECT_EQ(described->capacity, 48 * kMiB);
  EXPECT_EQ(described->path, world().pool_dir() + "/" + cid);
  EXPECT_NE(stemcell::FindStemcell(host, cid), nullptr);

  json deleted = RunExecutable(Request("delete_stemcell", {cid}));
  EXPECT_TRUE(deleted["error"].is_null()) << deleted.dump();
  EXPECT_TRUE(deleted["result"].is_null());
  EXPECT_EQ(VolumeXml(cid), "");
  EXPECT_EQ(VolumeXml(cid + "-props"), "");
}

TEST_F(LibvirtStemcellTest, ImportsRawSparselyWithExactBytes) {
  std::string raw = MakeRaw("r1.raw", 24 * kMiB);
  std::string image = Pack("r1.image", raw);
  json response =
      RunInProcess(Request("create_stemcell", {image, {{"disk_format", "raw"}, {"disk", 24}}}));
  ASSERT_TRUE(response["error"].is_null()) << response.dump();
  std::string cid = response["result"];

  xml::Document doc = xml::Document::Parse(VolumeXml(cid), "volume");
  EXPECT_EQ(doc.String("/volume/target/format/@type"), "raw");
  EXPECT_EQ(doc.String("/volume/capacity"), std::to_string(24 * kMiB));
  // Two MiB of data; the zero runs were sent as holes.
  EXPECT_LT(std::stoull(doc.String("/volume/allocation")), 4 * kMiB);
  EXPECT_EQ(Download(cid), ReadFile(raw));

  host::Host host = OpenHost();
  EXPECT_EQ(stemcell::ReadStemcellProperties(host, cid),
            json({{"disk_format", "raw"}, {"disk", 24}}));
  EXPECT_EQ(stemcell::DescribeStemcell(host, cid)->format, "raw");
  EXPECT_TRUE(RunInProcess(Request("delete_stemcell", {cid}))["error"].is_null());
}

TEST_F(LibvirtStemcellTest, ProbesFormatWithoutDiskFormatAndReadsPlainTar) {
  std::string qcow2 = MakeQcow2("q2.qcow2", 8 * kMiB);
  json response =
      RunInProcess(Request("create_stemcell", {Pack("q2.image", qcow2), json::object()}));
  ASSERT_TRUE(response["error"].is_null()) << response.dump();
  std::string cid = response["result"];
  EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/target/format/@type"),
            "qcow2");

  std::string raw = MakeRaw("r2.raw", 4 * kMiB);
  json plain =
      RunInProcess(Request("create_stemcell", {Pack("r2.tar", raw, false), json::object()}));
  ASSERT_TRUE(plain["error"].is_null()) << plain.dump();
  std::string raw_cid = plain["result"];
  EXPECT_EQ(xml::Document::Parse(VolumeXml(raw_cid), "v").String("/volume/target/format/@type"),
            "raw");
  EXPECT_EQ(Download(raw_cid), ReadFile(raw));
  EXPECT_TRUE(RunInProcess(Request("delete_stemcell", {cid}))["error"].is_null());
  EXPECT_TRUE(RunInProcess(Request("delete_stemcell", {raw_cid}))["error"].is_null());
}

// virStorageVolUpload does not truncate: a qcow2 file smaller than the empty qcow2 libvirt
// created first must not keep that file's stale metadata at its end.
TEST_F(LibvirtStemcellTest, SmallQcow2IsPaddedWithZerosNotStaleMetadata) {
  std::string qcow2 = Scratch("small.qcow2");
  Sh("qemu-img create -q -f qcow2 -o cluster_size=512 " + qcow2 + " 16M");
  std::string bytes = ReadFile(qcow2);
  ASSERT_LT(bytes.size(), 64 * 1024u);
  json response =
      RunInProcess(Request("create_stemcell", {Pack("small.image", qcow2), json::object()}));
  ASSERT_TRUE(response["error"].is_null()) << response.dump();
  std::string cid = response["result"];
  std::string stored = Download(cid);
  // libvirt's empty qcow2 of 16 MiB (64 KiB clusters) is larger than this image.
  ASSERT_GT(stored.size(), bytes.size());
  EXPECT_EQ(stored.substr(0, bytes.size()), bytes);
  EXPECT_EQ(stored.find_first_not_of('\0', bytes.size()), std::string::npos);
  Sh("qemu-img check -q " + world().pool_dir() + "/" + cid);
  EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/capacity"),
            std::to_string(16 * kMiB));
  EXPECT_TRUE(RunInProcess(Request("delete_stemcell", {cid}))["error"].is_null());
}

// Each bad upload answers the right error, names the image, and leaves the pool as it was.
TEST_F(LibvirtStemcellTest, FailuresLeaveNoVolumeBehind) {
  std::string raw = MakeRaw("bad.raw", 16 * kMiB);
  // Incompressible, so the gzip file is as large as the image and cuts land mid-stream.
  std::string noisy = Scratch("noisy.raw");
  WriteFile(noisy, RandomBytes(16 * kMiB, 5));
  std::string noisy_image = Pack("noisy.image", noisy);
  std::string gz = ReadFile(noisy_image);
  WriteFile(Scratch("truncated.image"), gz.substr(0, gz.size() * 7 / 10));
  std::string flipped = gz;
  flipped[gz.size() / 2] ^= 0x10;  // inside a stored block: only the gzip CRC notices
  WriteFile(Scratch("flipped.image"), flipped);
  WriteFile(Scratch("not-an-archive"), RandomBytes(100000, 6));
  Sh("mkdir -p " + Scratch("other.d") + " && echo hi > " + Scratch("other.d/disk.img") +
     " && tar czf " + Scratch("no-root.image") + " -C " + Scratch("other.d") + " disk.img");

  struct Case {
    std::string image;
    json props;
    std::string type;
    std::string message;
  };
  std::vector<Case> cases = {
      {Scratch("does-not-exist"), json::object(), "Bosh::Clouds::CloudError",
       "No such file or directory"},
      {Scratch("not-an-archive"), json::object(), "Bosh::Clouds::CloudError",
       "not a gzip-compressed tar archive"},
      {Scratch("no-root.image"), json::object(), "Bosh::Clouds::CloudError",
       "no root.img (found 'disk.img')"},
      {Scratch("truncated.image"),
       {{"disk_format", "raw"}},
       "Bosh::Clouds::CloudError",
       "reading image archive: reading root.img at byte"},
      {Scratch("flipped.image"),
       {{"disk_format", "raw"}},
       "Bosh::Clouds::CloudError",
       "gzip checksum mismatch"},
      {Pack("bad.image", raw),
       {{"disk_format", "vmdk"}},
       "Bosh::Clouds::CloudError",
       "disk_format 'vmdk' is not supported"},
      {Scratch("bad.image"),
       {{"disk_format", "qcow2"}},
       "Bosh::Clouds::CloudError",
       "does not start with the qcow2 magic"},
      {Scratch("bad.image"),
       {{"image_id", "ami-1"}},
       "Bosh::Clouds::NotSupported",
       "light stemcells"},
  };
  std::vector<std::string> before = SortedVolumes();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.image + " " + c.props.dump());
    json response = RunInProcess(Request("create_stemcell", {c.image, c.props}));
    ASSERT_TRUE(response["result"].is_null()) << response.dump();
    EXPECT_EQ(response["error"]["type"], c.type);
    std::string message = response["error"]["message"];
    EXPECT_EQ(message.rfind("Creating stemcell from '" + c.image + "': ", 0), 0u) << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_EQ(SortedVolumes(), before);
  }
  // The same through the executable: one wire-level check is enough.
  json response =
      RunExecutable(Request("create_stemcell", {Scratch("truncated.image"), json::object()}));
  EXPECT_EQ(response["error"]["type"], "Bosh::Clouds::CloudError");
  EXPECT_EQ(response["error"]["ok_to_retry"], false);
  EXPECT_EQ(SortedVolumes(), before);
}

TEST_F(LibvirtStemcellTest, MissingPoolIsCloudError) {
  json config = json::parse(world().ConfigJson());
  config["libvirt"]["storage_pool"] = "cpitest-no-such-pool-" + util::RandomHex(6);
  std::string path = Scratch("missing-pool.json");
  WriteFile(path, config.dump());
  std::string image = Pack("mp.image", MakeRaw("mp.raw", kMiB));
  json response = RunInProcess(Request("create_stemcell", {image, json::object()}), path);
  EXPECT_EQ(response["error"]["type"], "Bosh::Clouds::CloudError");
  EXPECT_NE(response["error"]["message"].get<std::string>().find("storage pool"), std::string::npos)
      << response.dump();
}

// A pool on a 4 MiB tmpfs: the upload hits ENOSPC half-way.
TEST_F(LibvirtStemcellTest, FullPoolIsNoDiskSpaceAndLeavesNothing) {
  TmpfsPool full(world().conn(), "4m");
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  json config = json::parse(world().ConfigJson());
  config["libvirt"]["storage_pool"] = full.name();
  std::string path = Scratch("full-pool.json");
  WriteFile(path, config.dump());
  std::string noisy = Scratch("full.raw");
  WriteFile(noisy, RandomBytes(16 * kMiB, 8));
  json response =
      RunInProcess(Request("create_stemcell", {Pack("full.image", noisy), json::object()}), path);
  EXPECT_EQ(response["error"]["type"], "Bosh::Clouds::NoDiskSpace") << response.dump();
  EXPECT_EQ(response["error"]["ok_to_retry"], true);
  EXPECT_TRUE(full.Volumes().empty());
  EXPECT_TRUE(fs::is_empty(full.dir()));
}

TEST_F(LibvirtStemcellTest, DeleteIsIdempotentAndIgnoresForeignCids) {
  std::string image = Pack("d.image", MakeRaw("d.raw", 2 * kMiB));
  json created = RunInProcess(Request("create_stemcell", {image, {{"disk_format", "raw"}}}));
  std::string cid = created["result"];
  for (int i = 0; i < 2; ++i) {
    json response = RunExecutable(Request("delete_stemcell", {cid}));
    EXPECT_TRUE(response["error"].is_null()) << response.dump();
    EXPECT_EQ(VolumeXml(cid), "");
    EXPECT_EQ(VolumeXml(cid + "-props"), "");
  }
  for (const std::string& other : {util::NewStemcellCid(), std::string("ami-12345"),
                                   std::string("../../etc/passwd"), std::string("")}) {
    json response = RunInProcess(Request("delete_stemcell", {other}));
    EXPECT_TRUE(response["error"].is_null()) << other << ": " << response.dump();
  }

  // A delete interrupted between the two volumes left the sidecar: the next one removes it.
  created = RunInProcess(Request("create_stemcell", {image, json::object()}));
  cid = created["result"];
  {
    host::Host host = OpenHost();
    ASSERT_TRUE(host.Pool().DeleteVolume(cid));
    EXPECT_EQ(stemcell::ReadStemcellProperties(host, cid), std::nullopt);
  }
  EXPECT_TRUE(RunInProcess(Request("delete_stemcell", {cid}))["error"].is_null());
  EXPECT_EQ(VolumeXml(cid + "-props"), "");
}

TEST_F(LibvirtStemcellTest, DeleteRefusesWhileVmsUseTheStemcell) {
  json created = RunInProcess(Request(
      "create_stemcell", {Pack("u.image", MakeQcow2("u.qcow2", 8 * kMiB)), json::object()}));
  std::string cid = created["result"];
  std::string base = world().pool_dir() + "/" + cid;

  // Root disks as create_vm makes them: qcow2 overlays backed by the stemcell.
  std::string vm_a = util::NewVmCid(), vm_b = util::NewVmCid();
  {
    host::Host host = OpenHost();
    for (const std::string& vm : {vm_a, vm_b}) {
      std::string xml = "<volume><name>" + vm + "-root</name><capacity unit='bytes'>" +
                        std::to_string(16 * kMiB) +
                        "</capacity><target><format type='qcow2'/></target><backingStore><path>" +
                        base + "</path><format type='qcow2'/></backingStore></volume>";
      host.Pool().CreateVolume(xml, vm + "-root");
    }
  }
  // vm_a names its disk by path, vm_b by pool and volume.
  auto define = [&](const std::string& vm, const std::string& disk) {
    std::string xml = "<domain type='qemu'><name>" + vm +
                      "</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type>"
                      "</os><devices>" +
                      disk + "</devices></domain>";
    virDomainPtr dom = virDomainDefineXML(world().conn().get(), xml.c_str());
    ASSERT_NE(dom, nullptr) << virt::Error::Last("defining").what();
    virDomainFree(dom);
  };
  define(vm_a, "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" +
                   world().pool_dir() + "/" + vm_a +
                   "-root'/><target dev='vda' bus='virtio'/></disk>");
  define(vm_b,
         "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='" +
             world().pool() + "' volume='" + vm_b +
             "-root'/><target dev='vda' bus='virtio'/></disk>");

  {
    host::Host host = OpenHost();
    std::vector<std::string> users = stemcell::DomainsUsingStemcell(host, cid);
    std::vector<std::string> expected = {vm_a, vm_b};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(users, expected);
  }
  json refused = RunExecutable(Request("delete_stemcell", {cid}));
  EXPECT_EQ(refused["error"]["type"], "Bosh::Clouds::CloudError");
  std::string message = refused["error"]["message"];
  EXPECT_EQ(message.rfind("Deleting stemcell '" + cid + "': ", 0), 0u) << message;
  EXPECT_NE(message.find(vm_a), std::string::npos) << message;
  EXPECT_NE(message.find(vm_b), std::string::npos) << message;
  EXPECT_NE(VolumeXml(cid), "");
  EXPECT_NE(VolumeXml(cid + "-props"), "");

  world().RemoveDomain(vm_a);
  refused = RunInProcess(Request("delete_stemcell", {cid}));
  EXPECT_NE(refused["error"]["message"].get<std::string>().find(vm_b), std::string::npos);
  world().RemoveDomain(vm_b);

  // No VM left, but overlays of no VM still backed by it: they are cleanup's, and the stemcell
  // stays until they are gone (issue 17, defect 1).
  refused = RunInProcess(Request("delete_stemcell", {cid}));
  message = refused["error"]["message"];
  EXPECT_NE(message.find("'" + vm_a + "-root'"), std::string::npos) << message;
  EXPECT_NE(message.find("cleanup"), std::string::npos) << message;
  EXPECT_NE(VolumeXml(cid), "");
  {
    host::Host host = OpenHost();
    host.Pool().DeleteVolume(vm_a + "-root");
    host.Pool().DeleteVolume(vm_b + "-root");
  }
  json deleted = RunInProcess(Request("delete_stemcell", {cid}));
  EXPECT_TRUE(deleted["error"].is_null()) << deleted.dump();
  EXPECT_EQ(VolumeXml(cid), "");
}

// The bootable test stemcell (stemcell/build.sh), both variants, byte for byte.
TEST_F(LibvirtStemcellTest, ImportsTheTestStemcellImages) {
  // scripts/test.sh builds it once and says where; otherwise build it here (a no-op when the
  // output is up to date).
  const char* prebuilt = std::getenv("CPI_TEST_STEMCELL_DIR");
  std::string out = prebuilt != nullptr && *prebuilt != '\0'
                        ? std::string(prebuilt)
                        : std::string(CPI_BINARY_DIR) + "/stemcell";
  if (!fs::exists(out + "/image-qcow2") || !fs::exists(out + "/image-raw")) {
    std::string build = std::string(CPI_SOURCE_DIR) + "/stemcell/build.sh";
    if (!fs::exists(build)) GTEST_SKIP() << build << " does not exist";
    Sh("bash " + build + " " + out + " >/dev/null");
  }
  struct Variant {
    std::string image, format, root;
  };
  for (const Variant& v :
       {Variant{"image-qcow2", "qcow2", "root.qcow2"}, Variant{"image-raw", "raw", "root.raw"}}) {
    SCOPED_TRACE(v.image);
    json response = RunExecutable(
        Request("create_stemcell", {out + "/" + v.image, {{"disk_format", v.format}}}));
    ASSERT_TRUE(response["error"].is_null()) << response.dump();
    std::string cid = response["result"];
    EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/target/format/@type"),
              v.format);
    EXPECT_EQ(Download(cid), ReadFile(out + "/" + v.root));
    EXPECT_TRUE(RunExecutable(Request("delete_stemcell", {cid}))["error"].is_null());
  }
}

}  // namespace
}  // namespace cpi::testing

#include "bosh_libvirt_cpi/agent/config_drive.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "bosh_libvirt_cpi/agent/settings.h"

namespace cpi::agent {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/config_drive_test.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct CommandResult {
  int status = -1;  // exit status, or -1 when the command did not exit normally
  std::string out;  // stdout, byte for byte
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

bool HaveTool(const std::string& name) {
  return RunCommand("command -v " + name + " >/dev/null 2>&1").status == 0;
}

// Writes the image to a temp file, for the external readers.
class IsoFile {
 public:
  explicit IsoFile(const std::string& bytes) : path_(dir_.path() / "config.iso") {
    std::ofstream out(path_, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const fs::path& path() const { return path_; }

  // `isoinfo <mode> -x <file>`: the file's bytes as that tree of the image names it.
  std::string Extract(const std::string& mode, const std::string& file) const {
    CommandResult r = RunCommand("isoinfo " + mode + " -i '" + path_.string() + "' -x '" + file +
                                 "' 2>/dev/null");
    EXPECT_EQ(r.status, 0) << "isoinfo " << mode << " -x " << file;
    return r.out;
  }

 private:
  TempDir dir_;
  fs::path path_;
};

// Every regular file of the image as libarchive's ISO9660 reader (Rock Ridge / Joliet aware)
// sees it: path -> contents. A second reader, independent of isoinfo and of libisofs.
std::map<std::string, std::string> ReadWithLibarchive(const std::string& iso) {
  std::map<std::string, std::string> files;
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_iso9660(a.get());
  if (archive_read_open_memory(a.get(), iso.data(), iso.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "libarchive: " << archive_error_string(a.get());
    return files;
  }
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string content;
    char buffer[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0) content.append(buffer, n);
    files[archive_entry_pathname(entry)] = content;
  }
  return files;
}

ConfigDriveFiles TypicalFiles() {
  nlohmann::json settings = {{"agent_id", "4149ba0f-38d9-4485-476f-1581be36f290"},
                             {"vm", {{"name", "vm-7c1e0c2a"}}},
                             {"mbus", "nats://10.0.0.6:4222"},
                             {"ntp", {"time1.google.com"}},
                             {"networks",
                              {{"default",
                                {{"type", "manual"},
                                 {"ip", "10.0.0.10"},
                                 {"prefix", "32"},
                                 {"netmask", "255.255.255.0"},
                                 {"gateway", "10.0.0.1"},
                                 {"dns", {"10.0.0.2"}},
                                 {"default", {"dns", "gateway"}},
                                 {"mac", "52:54:00:3a:1f:09"},
                                 {"use_dhcp", false}}}}},
                             {"disks",
                              {{"system", "/dev/vda"},
                               {"ephemeral", {{"path", "/dev/disk/by-id/virtio-eph-7c1e0c2a"}}},
                               {"persistent", nlohmann::json::object()},
                               {"raw_ephemeral", nullptr}}},
                             {"env",
                              {{"bosh",
                                {{"password", "$6$salt$hash"},
                                 {"mbus",
                                  {{"cert",
                                    {{"ca", std::string(1200, 'C') + "\n"},
                                     {"certificate", std::string(1200, 'c') + "\n"},
                                     {"private_key", std::string(1700, 'k') + "\n"}}}}}}}}}};
  return {settings.dump(), BuildMetaData("vm-7c1e0c2a").dump()};
}

// Bytes of every value, NULs and high bytes included, in a size that is not a block multiple.
std::string RandomBytes(size_t size) {
  std::mt19937 gen(42);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(gen() & 0xff);
  return bytes;
}

TEST(ConfigDriveTest, IsoinfoIsInstalled) {
  // The tests below read the image back with isoinfo (package genisoimage); without it they would
  // prove nothing, so its absence is a failure, not a skip.
  ASSERT_TRUE(HaveTool("isoinfo")) << "isoinfo (package genisoimage) is required by these tests";
}

TEST(ConfigDriveTest, VolumeIsConfig2WithRockRidgeAndJoliet) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  std::string iso = BuildConfigDriveIso(TypicalFiles());
  EXPECT_EQ(iso.size() % 2048, 0u);
  EXPECT_EQ(iso.substr(0x8001, 5), "CD001");  // primary volume descriptor
  IsoFile file(iso);
  CommandResult r = RunCommand("isoinfo -d -i '" + file.path().string() + "'");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Volume id: config-2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Rock Ridge signatures version 1 found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Joliet with UCS level 3 found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Volume size is: " + std::to_string(iso.size() / 2048) + "\n"),
            std::string::npos)
      << r.out;
}

TEST(ConfigDriveTest, RockRidgeAndJolietTreesHoldExactlyTheFourFiles) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  IsoFile file(BuildConfigDriveIso(TypicalFiles()));
  const std::string expected =
      "/ec2\n/openstack\n/ec2/latest\n/openstack/latest\n/ec2/latest/meta-data.json\n"
      "/ec2/latest/user-data\n/openstack/latest/meta_data.json\n/openstack/latest/user_data\n";
  for (const std::string mode : {"-R", "-J"}) {
    CommandResult r = RunCommand("isoinfo " + mode + " -f -i '" + file.path().string() + "'");
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.out, expected) << mode;
  }
}

TEST(ConfigDriveTest, FilesReadBackByteForByteThroughRockRidgeAndJoliet) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  ConfigDriveFiles files = TypicalFiles();
  IsoFile file(BuildConfigDriveIso(files));
  for (const std::string mode : {"-R", "-J"}) {
    EXPECT_EQ(file.Extract(mode, "/ec2/latest/user-data"), files.user_data) << mode;
    EXPECT_EQ(file.Extract(mode, "/ec2/latest/meta-data.json"), files.meta_data) << mode;
    EXPECT_EQ(file.Extract(mode, "/openstack/latest/user_data"), files.user_data) << mode;
    EXPECT_EQ(file.Extract(mode, "/openstack/latest/meta_data.json"), files.meta_data) << mode;
  }
  // What the agent parses: valid JSON with the settings and the meta-data.
  EXPECT_EQ(nlohmann::json::parse(file.Extract("-R", "/ec2/latest/user-data"))["agent_id"],
            "4149ba0f-38d9-4485-476f-1581be36f290");
  EXPECT_EQ(nlohmann::json::parse(file.Extract("-R", "/ec2/latest/meta-data.json")),
            BuildMetaData("vm-7c1e0c2a"));
}

// The `isoinfo -l` line of the entry called `name`, or "" when there is none.
std::string ListingLine(const std::string& listing, const std::string& name) {
  size_t start = 0;
  while (start < listing.size()) {
    size_t end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    std::string line = listing.substr(start, end - start);
    if (line.size() > name.size() + 2 &&
        line.compare(line.size() - name.size() - 2, std::string::npos, "  " + name) == 0) {
      return line;
    }
    if (line.size() > name.size() + 3 &&
        line.compare(line.size() - name.size() - 3, std::string::npos, "  " + name + " ") == 0) {
      return line;
    }
    start = end + 1;
  }
  return "";
}

TEST(ConfigDriveTest, RockRidgeRecordsReadOnlyFilesOwnedByRootAtAFixedTime) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  ConfigDriveFiles files = TypicalFiles();
  IsoFile file(BuildConfigDriveIso(files));
  CommandResult r = RunCommand("isoinfo -R -l -i '" + file.path().string() + "'");
  ASSERT_EQ(r.status, 0);
  std::string user_data = ListingLine(r.out, "user-data");
  EXPECT_EQ(user_data.rfind("-r--r--r--   1    0    0 ", 0), 0u) << user_data;
  EXPECT_NE(user_data.find(" " + std::to_string(files.user_data.size()) + " Jan  1 2000 "),
            std::string::npos)
      << user_data;
  std::string latest = ListingLine(r.out, "latest");
  EXPECT_EQ(latest.rfind("dr-xr-xr-x   1    0    0 ", 0), 0u) << latest;
}

TEST(ConfigDriveTest, OneMebibyteOfArbitraryBytesRoundTrips) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  ConfigDriveFiles files{RandomBytes((1u << 20) + 777), "{}"};
  std::string iso = BuildConfigDriveIso(files);
  EXPECT_GT(iso.size(), 2u * files.user_data.size());
  IsoFile file(iso);
  EXPECT_TRUE(file.Extract("-R", "/ec2/latest/user-data") == files.user_data);
  EXPECT_TRUE(file.Extract("-J", "/openstack/latest/user_data") == files.user_data);
}

TEST(ConfigDriveTest, EmptyFilesAreAllowed) {
  ASSERT_TRUE(HaveTool("isoinfo"));
  IsoFile file(BuildConfigDriveIso({"", ""}));
  EXPECT_EQ(file.Extract("-R", "/ec2/latest/user-data"), "");
  CommandResult r = RunCommand("isoinfo -R -f -i '" + file.path().string() + "'");
  EXPECT_NE(r.out.find("/ec2/latest/user-data\n"), std::string::npos) << r.out;
}

TEST(ConfigDriveTest, LibarchiveReadsTheSameNamesAndBytes) {
  ConfigDriveFiles files = TypicalFiles();
  std::map<std::string, std::string> read = ReadWithLibarchive(BuildConfigDriveIso(files));
  std::map<std::string, std::string> expected = {
      {"ec2/latest/meta-data.json", files.meta_data},
      {"ec2/latest/user-data", files.user_data},
      {"openstack/latest/meta_data.json", files.meta_data},
      {"openstack/latest/user_data", files.user_data}};
  EXPECT_TRUE(read == expected) << read.size() << " files";
  for (const auto& [path, content] : read) EXPECT_EQ(content, expected[path]) << path;
}

TEST(ConfigDriveTest, SameFilesGiveTheSameBytesAtAnotherTime) {
  ConfigDriveFiles files = TypicalFiles();
  std::string first = BuildConfigDriveIso(files);
  // ISO9660 records times to the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string second = BuildConfigDriveIso(files);
  EXPECT_TRUE(first == second);

  files.user_data += " ";
  EXPECT_FALSE(BuildConfigDriveIso(files) == first);
}

TEST(ConfigDriveTest, BlkidSeesAnIso9660FilesystemLabelledConfig2) {
  // blkid's probe is what udev uses for /dev/disk/by-label/config-2.
  if (!HaveTool("blkid")) GTEST_SKIP() << "blkid not installed";
  IsoFile file(BuildConfigDriveIso(TypicalFiles()));
  CommandResult r = RunCommand("blkid -p -o export '" + file.path().string() + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\nTYPE=iso9660\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nLABEL=config-2\n"), std::string::npos) << r.out;
}

TEST(ConfigDriveTest, FileRecognisesTheImage) {
  if (!HaveTool("file")) GTEST_SKIP() << "file not installed";
  IsoFile file(BuildConfigDriveIso(TypicalFiles()));
  CommandResult r = RunCommand("file -b '" + file.path().string() + "'");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("ISO 9660 CD-ROM filesystem data 'config-2'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cpi::agent

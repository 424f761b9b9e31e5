#include "bosh_libvirt_cpi/config/config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::config {
namespace {

std::string LoadError(std::string_view text) {
  try {
    Load(text, "'cpi.json'", std::nullopt);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError);
    return e.what();
  }
  return "";
}

TEST(ConfigTest, DefaultsWithoutFile) {
  Config c = Load(std::nullopt, "(defaults)", std::nullopt);
  EXPECT_EQ(c.libvirt.uri, "qemu:///system");
  EXPECT_EQ(c.libvirt.storage_pool, "default");
  EXPECT_EQ(c.libvirt.domain_type, DomainType::kAuto);
  EXPECT_EQ(c.libvirt.rollback_reconnect_seconds, 30);
}

TEST(ConfigTest, ReadsEveryKnownKey) {
  Config c = Load(R"({"libvirt":{"uri":"qemu+ssh://h/system","storage_pool":"bosh",
      "network":"n","domain_type":"qemu","console_log_dir":"/l","machine_type":"q35",
      "rollback_reconnect_seconds":5},
      "agent":{"mbus":"nats://1.2.3.4:4222","ntp":["a","b"],
               "blobstore":{"provider":"local","options":{"blobstore_path":"/x"}}},
      "lock_dir":"/tmp/l","templates_dir":"/t"})",
                  "f", std::nullopt);
  EXPECT_EQ(c.libvirt.uri, "qemu+ssh://h/system");
  EXPECT_EQ(c.libvirt.storage_pool, "bosh");
  EXPECT_EQ(c.libvirt.network, "n");
  EXPECT_EQ(c.libvirt.domain_type, DomainType::kQemu);
  EXPECT_EQ(c.libvirt.machine_type, "q35");
  EXPECT_EQ(c.libvirt.rollback_reconnect_seconds, 5);
  EXPECT_EQ(c.agent.mbus, "nats://1.2.3.4:4222");
  EXPECT_EQ(c.agent.ntp, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.agent.blobstore["provider"], "local");
  EXPECT_EQ(c.lock_dir, "/tmp/l");
  EXPECT_EQ(c.templates_dir, "/t");
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  EXPECT_NE(LoadError(R"({"libvirt":{"urii":"x"}})").find("'libvirt.urii' is not a known key"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"bogus":1})").find("'bogus' is not a known key"), std::string::npos);
}

TEST(ConfigTest, WrongTypeIsNamed) {
  EXPECT_NE(LoadError(R"({"libvirt":{"uri":5}})").find("'libvirt.uri' must be a string"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"agent":{"ntp":"pool.ntp.org"}})").find("'agent.ntp' must be an array"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"agent":{"ntp":[1]}})").find("'agent.ntp[0]' must be a string"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"libvirt":{"domain_type":"xen"}})").find("must be one of"),
            std::string::npos);
  EXPECT_NE(LoadError("[]").find("must be an object"), std::string::npos);
  for (const char* bad : {"-1", "3601", "1.5", "\"30\""}) {
    EXPECT_NE(LoadError(std::string(R"({"libvirt":{"rollback_reconnect_seconds":)") + bad + "}}")
                  .find("'libvirt.rollback_reconnect_seconds' must be an integer from 0 to 3600"),
              std::string::npos)
        << bad;
  }
}

TEST(ConfigTest, DuplicateKeyIsNamedWithItsPath) {
  std::string e = LoadError(R"({"libvirt":{"uri":"qemu:///system","uri":"test:///default"}})");
  EXPECT_NE(e.find("Invalid configuration 'cpi.json': duplicate key 'uri' at $.libvirt.uri"),
            std::string::npos)
      << e;
}

TEST(ConfigTest, InvalidJsonIsReported) {
  EXPECT_NE(LoadError("{").find("not valid JSON"), std::string::npos);
}

TEST(ConfigTest, ContextOverlaysFileButNotRequestKeys) {
  nlohmann::json context = nlohmann::json::parse(
      R"({"director_uuid":"d","request_id":"cpi-1","vm":{"stemcell":{"api_version":3}},
          "libvirt":{"uri":"qemu+ssh://other/system"},"agent":{"ntp":["n"]}})");
  Config c = Load(R"({"libvirt":{"uri":"qemu:///system","storage_pool":"p"}})", "f", context);
  EXPECT_EQ(c.libvirt.uri, "qemu+ssh://other/system");
  EXPECT_EQ(c.libvirt.storage_pool, "p");  // deep merge keeps what the overlay does not name
  EXPECT_EQ(c.agent.ntp, (std::vector<std::string>{"n"}));
}

TEST(ConfigTest, UnknownContextKeyIsAnError) {
  nlohmann::json context = nlohmann::json::parse(R"({"director_uuid":"d","stray":1})");
  try {
    Load("{}", "f", context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'stray' is not a known key"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cpi-config context"), std::string::npos);
  }
}

TEST(ConfigTest, MissingFileNamesPath) {
  try {
    ReadFile("/nonexistent/cpi.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cpi.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
}

// The BOSH job renders credentials beside cpi.json and names them by relative paths (README.md,
// "Reaching libvirtd from a Director"); the CPI anchors them at the config file's folder.
TEST(ConfigTest, RelativeUriFilesAreAnchoredAtTheConfigFolder) {
  EXPECT_EQ(ResolveUriFiles(
                "qemu+ssh://root@h:22/system?keyfile=ssh%2Fid_key&command=..%2Fbin%2Flibvirt-ssh",
                "/var/vcap/jobs/libvirt_cpi/config"),
            "qemu+ssh://root@h:22/system?keyfile=/var/vcap/jobs/libvirt_cpi/config/ssh%2Fid_key"
            "&command=/var/vcap/jobs/libvirt_cpi/config/..%2Fbin%2Flibvirt-ssh");
  // A folder with characters that need escaping (a create-env home with a space).
  EXPECT_EQ(ResolveUriFiles("qemu+tls://h/system?pkipath=tls", "/home/a b/jobs/x%y/config"),
            "qemu+tls://h/system?pkipath=/home/a%20b/jobs/x%25y/config/tls");
  EXPECT_EQ(ResolveUriFiles("qemu+libssh://h/system?KnOwN_HoStS=k;keyfile=id#frag", "/c"),
            "qemu+libssh://h/system?KnOwN_HoStS=/c/k;keyfile=/c/id#frag");
}

TEST(ConfigTest, AbsoluteUriFilesAndOtherPartsAreUnchanged) {
  for (const char* uri : {"qemu:///system", "qemu+ssh://h/system?keyfile=/k&known_hosts=%2Fk",
                          "qemu+ssh://h/system?command=ssh&no_verify=1&socket=rel/sock&netcat=nc",
                          "qemu+tls://h/system?pkipath=%2fetc%2Fpki&no_tty=1",
                          "qemu+ssh://h/system?keyfile=&", "qemu+ssh://h/system?"}) {
    EXPECT_EQ(ResolveUriFiles(uri, "/c"), uri);
  }
  EXPECT_EQ(ResolveUriFiles("qemu+ssh://h/system?keyfile=k", ""), "qemu+ssh://h/system?keyfile=k");
}

TEST(ConfigTest, LoadFileAnchorsUriFilesAfterTheContextOverlay) {
  char dir[] = "/tmp/cpi-config-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/cpi.json";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(R"({"libvirt":{"uri":"qemu+ssh://h/system?keyfile=ssh%2Fid_key"}})", f);
  std::fclose(f);
  EXPECT_EQ(LoadFile(path, std::nullopt).libvirt.uri,
            "qemu+ssh://h/system?keyfile=" + std::string(dir) + "/ssh%2Fid_key");
  nlohmann::json context =
      nlohmann::json::parse(R"({"libvirt":{"uri":"qemu+tls://h/system?pkipath=tls"}})");
  EXPECT_EQ(LoadFile(path, context).libvirt.uri,
            "qemu+tls://h/system?pkipath=" + std::string(dir) + "/tls");
  std::remove(path.c_str());
  rmdir(dir);
}

TEST(ConfigTest, DirectoryIsNotAConfigFile) { EXPECT_THROW(ReadFile("/tmp"), Error); }

}  // namespace
}  // namespace cpi::config

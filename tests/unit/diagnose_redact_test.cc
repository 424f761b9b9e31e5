// bosh-libvirt-cpi-diagnose's pure parts (tools/diagnose): what it prints of a VM's agent settings
// must never carry a secret, and the text helpers it uses on console logs and guest files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "diagnose/redact.h"
#include "diagnose/text.h"

namespace cpi::diagnose {
namespace {

using nlohmann::json;

// Settings as create_vm renders them, with secrets in every place the Director puts them.
json Settings() {
  return json::parse(R"({
    "agent_id": "agent-1",
    "vm": {"name": "vm-1"},
    "mbus": "nats://nats:MBUS-PASSWORD@10.0.0.6:4222",
    "ntp": ["pool.ntp.org"],
    "blobstore": {"provider": "dav",
                  "options": {"endpoint": "http://10.0.0.6:25250", "user": "agent",
                              "password": "BLOBSTORE-PASSWORD",
                              "tls": {"cert": {"ca": "PUBLIC-CA"}}}},
    "networks": {"default": {"ip": "10.0.0.10", "netmask": "255.255.255.0",
                             "gateway": "10.0.0.1", "dns": ["10.0.0.1"]}},
    "disks": {"system": "/dev/vda", "ephemeral": "/dev/vdb", "persistent": {}},
    "env": {"bosh": {"password": "$6$salt$HASH",
                     "mbus": {"cert": {"ca": "ENV-CA", "certificate": "ENV-CERT",
                                       "private_key": "DIAG-SECRET-MARKER"},
                              "urls": ["nats://u:ENV-URL-PW@10.0.0.6:4222"]},
                     "authorized_keys": ["ssh-rsa AAAA"],
                     "swap_size": 0,
                     "keep_root_password": false,
                     "group": "dep-web"},
            "persistent_disk_fs": "ext4"}
  })");
}

TEST(DiagnoseRedactTest, ReplacesEveryValueUnderEnvButKeepsItsShape) {
  json r = RedactSettings(Settings());
  const json& bosh = r["env"]["bosh"];
  EXPECT_EQ(bosh["password"], kRedacted);
  EXPECT_EQ(bosh["mbus"]["cert"]["ca"], kRedacted);
  EXPECT_EQ(bosh["mbus"]["cert"]["certificate"], kRedacted);
  EXPECT_EQ(bosh["mbus"]["cert"]["private_key"], kRedacted);
  EXPECT_EQ(bosh["mbus"]["urls"], json::array({kRedacted}));
  EXPECT_EQ(bosh["authorized_keys"], json::array({kRedacted}));
  // Non-string values too: every value under env is replaced.
  EXPECT_EQ(bosh["swap_size"], kRedacted);
  EXPECT_EQ(bosh["keep_root_password"], kRedacted);
  EXPECT_EQ(bosh["group"], kRedacted);
  EXPECT_EQ(r["env"]["persistent_disk_fs"], kRedacted);
}

TEST(DiagnoseRedactTest, ReplacesSecretKeysAnywhereAndUrlPasswords) {
  json r = RedactSettings(Settings());
  EXPECT_EQ(r["blobstore"]["options"]["password"], kRedacted);
  EXPECT_EQ(r["blobstore"]["options"]["user"], "agent");
  EXPECT_EQ(r["blobstore"]["options"]["endpoint"], "http://10.0.0.6:25250");
  EXPECT_EQ(r["mbus"], std::string("nats://nats:") + kRedacted + "@10.0.0.6:4222");
  // What an operator needs stays.
  EXPECT_EQ(r["agent_id"], "agent-1");
  EXPECT_EQ(r["networks"], Settings()["networks"]);
  EXPECT_EQ(r["disks"], Settings()["disks"]);
  EXPECT_EQ(r["ntp"], Settings()["ntp"]);
}

TEST(DiagnoseRedactTest, RedactsWholeObjectsUnderSecretKeysInNestedArrays) {
  json doc = {{"jobs",
               {{{"name", "web"},
                 {"properties",
                  {{"Certificate", {{"pem", "CERT-PEM"}}},
                   {"api-token", "TOKEN"},
                   {"client_secret", "SECRET"},
                   {"privateKey", "KEY"},
                   {"db_passwd", "PW"},
                   {"credentials", {"a", "b"}},
                   {"port", 8080}}}}}}};
  json r = RedactSettings(doc);
  const json& props = r["jobs"][0]["properties"];
  EXPECT_EQ(props["Certificate"], kRedacted);
  EXPECT_EQ(props["api-token"], kRedacted);
  EXPECT_EQ(props["client_secret"], kRedacted);
  EXPECT_EQ(props["privateKey"], kRedacted);
  EXPECT_EQ(props["db_passwd"], kRedacted);
  EXPECT_EQ(props["credentials"], kRedacted);
  EXPECT_EQ(props["port"], 8080);
  EXPECT_EQ(r["jobs"][0]["name"], "web");
}

TEST(DiagnoseRedactTest, TextOutputCarriesNoSecret) {
  std::optional<std::string> text = RedactSettingsText(Settings().dump());
  ASSERT_TRUE(text);
  for (const char* secret : {"DIAG-SECRET-MARKER", "MBUS-PASSWORD", "BLOBSTORE-PASSWORD",
                             "$6$salt$HASH", "ENV-CERT", "ENV-CA", "ENV-URL-PW", "ssh-rsa"}) {
    EXPECT_EQ(text->find(secret), std::string::npos) << secret << " in\n" << *text;
  }
  EXPECT_NE(text->find("\"agent_id\": \"agent-1\""), std::string::npos) << *text;
}

TEST(DiagnoseRedactTest, NotJsonGivesNothingToPrint) {
  EXPECT_FALSE(RedactSettingsText(R"({"env": {"bosh": {"password": "PW")"));
  EXPECT_FALSE(RedactSettingsText(""));
}

TEST(DiagnoseRedactTest, InvalidUtf8DoesNotThrow) {
  std::string doc = "{\"name\": \"caf\xe9\", \"password\": \"x\"}";
  std::optional<std::string> text = RedactSettingsText(doc);
  // nlohmann rejects invalid UTF-8 while parsing: then nothing is printed, which is also safe.
  if (text) {
    EXPECT_EQ(text->find("\"x\""), std::string::npos);
  }
}

TEST(DiagnoseRedactTest, SecretKeyNames) {
  for (const char* key :
       {"password", "PASSWORD", "root_password", "private_key", "private-key", "PrivateKey",
        "secret", "secret_access_key", "token", "auth_token", "certificate", "credential"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
  for (const char* key : {"ca", "user", "mbus", "name", "env", "endpoint", "provider"}) {
    EXPECT_FALSE(IsSecretKey(key)) << key;
  }
}

TEST(DiagnoseRedactTest, UrlPasswords) {
  EXPECT_EQ(RedactUrlPassword("https://mbus:p@ss@10.0.0.6:6868/agent"),
            std::string("https://mbus:") + kRedacted + "@10.0.0.6:6868/agent");
  EXPECT_EQ(RedactUrlPassword("dial nats://n:pw@h:4222: timeout, then http://h2/x?a=b@c"),
            std::string("dial nats://n:") + kRedacted + "@h:4222: timeout, then http://h2/x?a=b@c");
  // No password: unchanged.
  EXPECT_EQ(RedactUrlPassword("nats://user@h:4222"), "nats://user@h:4222");
  EXPECT_EQ(RedactUrlPassword("http://h:8080/path"), "http://h:8080/path");
  EXPECT_EQ(RedactUrlPassword("mail a:b@c, see ftp://x"), "mail a:b@c, see ftp://x");
  EXPECT_EQ(RedactUrlPassword("no url"), "no url");
  EXPECT_EQ(RedactUrlPassword("ends with ://"), "ends with ://");
}

TEST(DiagnoseRedactTest, LocalUris) {
  EXPECT_TRUE(IsLocalUri("qemu:///system"));
  EXPECT_TRUE(IsLocalUri("qemu:///session"));
  EXPECT_TRUE(IsLocalUri("qemu+unix:///system?socket=/run/libvirt/libvirt-sock"));
  EXPECT_FALSE(IsLocalUri("qemu+ssh://root@host/system"));
  EXPECT_FALSE(IsLocalUri("qemu+tls://host/system"));
  EXPECT_FALSE(IsLocalUri("qemu://host/system"));
  EXPECT_FALSE(IsLocalUri("test:///default"));
}

TEST(DiagnoseRedactTest, LastLinesAndPrintable) {
  EXPECT_EQ(LastLines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(LastLines("a\nb\nc", 2), "b\nc");
  EXPECT_EQ(LastLines("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(LastLines("abc", 1), "abc");
  EXPECT_EQ(LastLines("", 3), "");
  EXPECT_EQ(FromFirstFullLine("tial line\nwhole\n"), "whole\n");
  EXPECT_EQ(FromFirstFullLine("no newline"), "no newline");
  EXPECT_EQ(Printable("ok\r\n\x1b[2Jtab\there\x7f"), "ok\n\\x1b[2Jtab\there\\x7f");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(64 * 1024), "64 KiB");
  EXPECT_EQ(FormatBytes(1536 * 1024), "1.5 MiB");
}

}  // namespace
}  // namespace cpi::diagnose

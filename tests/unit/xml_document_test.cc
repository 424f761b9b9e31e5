#include "bosh_libvirt_cpi/xml/document.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::xml {
namespace {

TEST(XmlWellFormedTest, AcceptsOneDocumentElementWithDeclarationAndComments) {
  EXPECT_TRUE(WellFormed(
      "<?xml version='1.0'?>\n<!-- note --><domain type='qemu'><name>a</name></domain>\n"));
}

TEST(XmlWellFormedTest, RefusesWhatWellFormedXmlForbids) {
  EXPECT_FALSE(WellFormed(""));
  EXPECT_FALSE(WellFormed("   "));
  EXPECT_FALSE(WellFormed("<a><b></a>"));
  EXPECT_FALSE(WellFormed("<a>"));
  EXPECT_FALSE(WellFormed("<a/><b/>"));
  EXPECT_FALSE(WellFormed("text<a/>"));
  EXPECT_FALSE(WellFormed("<a x='1' x='2'/>"));
  EXPECT_FALSE(WellFormed("<a><b y='1' y='1'/></a>"));
  EXPECT_FALSE(WellFormed("<a x='1/>"));
  EXPECT_FALSE(WellFormed("<a><</a>"));
}

TEST(XmlDocumentTest, ParseNamesTheDocumentWhenItIsBroken) {
  try {
    Document::Parse("<domain><name>x</domain>", "domain 'vm-1'");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("parsing domain 'vm-1': not well-formed XML"),
              std::string::npos);
  }
}

TEST(XmlDocumentTest, StringsReadAttributesElementTextAndUnionsInDocumentOrder) {
  Document doc = Document::Parse(
      "<domain><devices>\n  <disk><source file='/a'/><serial>s<b>1</b></serial></disk>\n"
      "  <disk><source dev='/dev/b'/></disk>\n  <disk><source file='/c'/></disk>\n"
      "</devices></domain>",
      "d");
  EXPECT_EQ(doc.Strings("/domain/devices/disk/source/@dev | /domain/devices/disk/source/@file"),
            (std::vector<std::string>{"/a", "/dev/b", "/c"}));
  EXPECT_EQ(doc.String("/domain/devices/disk/serial"), "s1");
  EXPECT_EQ(doc.String("/domain/nothing"), "");
  EXPECT_EQ(doc.String("concat('x', /domain/devices/disk/source/@file)"), "x/a");
  EXPECT_EQ(doc.Number("count(/domain/devices/disk)"), 3);
  EXPECT_EQ(doc.Number("/domain/devices/disk/source/@file"), 2);
}

TEST(XmlDocumentTest, NamespaceUriSelectsMetadataWhateverItsPrefix) {
  Document doc = Document::Parse(
      "<domain><metadata><c:call xmlns:c='urn:creating' since='7'/>"
      "<other:x xmlns:other='urn:other'/></metadata></domain>",
      "d");
  EXPECT_EQ(doc.String("/domain/metadata/*[namespace-uri()='urn:creating']/@since"), "7");
  EXPECT_EQ(doc.Number("count(/domain/metadata/*[namespace-uri()='urn:none'])"), 0);
}

TEST(XmlDocumentTest, ElementXmlSerialisesOneElementWithEscapedValues) {
  Document doc = Document::Parse(
      "<domain><devices><disk type='file'><serial>a&amp;b</serial></disk>"
      "<disk type='block'/></devices></domain>",
      "d");
  EXPECT_EQ(doc.ElementXml("/domain/devices/disk"),
            "<disk type=\"file\"><serial>a&amp;b</serial></disk>");
  EXPECT_EQ(doc.ElementsXml("/domain/devices/disk").size(), 2u);
  EXPECT_EQ(doc.ElementXml("/domain/devices/disk/@type"), "");
}

TEST(XmlDocumentTest, BadXPathIsACloudErrorNamingTheExpression) {
  Document doc = Document::Parse("<a/>", "d");
  try {
    doc.Strings("/a[");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("evaluating XPath '/a['"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cpi::xml

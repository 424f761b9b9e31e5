// Checks on the source tree itself: the layering rules of README.md ("Layout") that the compiler
// does not enforce.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace cpi {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = CPI_SOURCE_DIR;

// The code of a C++ file without its comments (string literals are kept).
std::string WithoutComments(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c == '\'') {  // a character literal, such as '"'
      size_t end = i + 1;
      while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
      out.append(text, i, end + 1 - i);
      i = end;
    } else if (text.compare(i, 2, "//") == 0) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      i = end == std::string::npos ? text.size() : end + 1;
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every .h/.cc under the product's folders (src, include, tools) outside the virt layer. The
// tests are not included: they build and inspect their own libvirt worlds directly.
std::vector<fs::path> ProductFilesOutsideVirt() {
  std::vector<fs::path> out;
  for (const char* top : {"src", "include", "tools"}) {
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(kSource / top)) {
      if (!e.is_regular_file()) continue;
      std::string ext = e.path().extension().string();
      if (ext != ".h" && ext != ".cc") continue;
      std::string rel = fs::relative(e.path(), kSource).generic_string();
      if (rel.rfind("src/hypervisor/virt/", 0) == 0 ||
          rel.rfind("include/bosh_libvirt_cpi/virt/", 0) == 0) {
        continue;
      }
      out.push_back(e.path());
    }
  }
  return out;
}

TEST(LayeringTest, FindsTheProductSources) {
  // Guards the test below against passing on an empty list.
  EXPECT_GT(ProductFilesOutsideVirt().size(), 50u);
}

TEST(LayeringTest, NoLibvirtOutsideTheVirtLayer) {
  // libvirt's identifiers (virDomainPtr, virConnectOpen, VIR_ERR_...) and headers stay in
  // src/hypervisor/virt/; above it, only the hypervisor objects of virt/objects.h and virt::Error
  // exist.
  const std::regex identifier(R"(\b(vir[A-Z]\w*|VIR_[A-Z_]+)\b)");
  const std::regex include(
      R"(#\s*include\s*[<"](libvirt/[^>"]*|bosh_libvirt_cpi/virt/[^>"]*)[>"])");
  for (const fs::path& path : ProductFilesOutsideVirt()) {
    std::string code = WithoutComments(ReadAll(path));
    std::string rel = fs::relative(path, kSource).generic_string();
    std::smatch m;
    if (std::regex_search(code, m, identifier)) {
      ADD_FAILURE() << rel << " names the libvirt identifier " << m[1];
    }
    for (auto it = std::sregex_iterator(code.begin(), code.end(), include);
         it != std::sregex_iterator(); ++it) {
      std::string header = (*it)[1];
      if (header == "bosh_libvirt_cpi/virt/objects.h" ||
          header == "bosh_libvirt_cpi/virt/error.h") {
        continue;
      }
      ADD_FAILURE()
          << rel << " includes " << header
          << " (only virt/objects.h and virt/error.h are visible outside src/hypervisor/virt/)";
    }
  }
}

TEST(LayeringTest, CommentStripperKeepsCodeAndStrings) {
  EXPECT_EQ(WithoutComments("a // virDomainPtr\nb"), "a \nb");
  EXPECT_EQ(WithoutComments("a /* virDomainPtr */ b"), "a   b");
  EXPECT_EQ(WithoutComments(R"(s = "qemu:///system"; // x)"), R"(s = "qemu:///system"; )");
  EXPECT_EQ(WithoutComments(R"(c == '"' // virDomainPtr)"), R"(c == '"' )");
}

}  // namespace
}  // namespace cpi

#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pugi {
class xml_document;
}

namespace cpi::xml {

// A parsed XML document (libvirt's domain, volume and pool descriptions) queried with XPath.
class Document {
 public:
  // Throws cpi::Error (CloudError) when `text` is not well-formed; `what` names the document.
  static Document Parse(const std::string& text, const std::string& what);

  // The string values of every node the expression selects (attributes, text, elements).
  std::vector<std::string> Strings(const std::string& xpath) const;
  // The first such value, or "" when nothing matches.
  std::string String(const std::string& xpath) const;
  // How many nodes the expression selects (or its numeric value for count(...)).
  double Number(const std::string& xpath) const;

  // Serialises the first element the expression selects (e.g. one <disk>), or "".
  std::string ElementXml(const std::string& xpath) const;
  // Serialises every element selected.
  std::vector<std::string> ElementsXml(const std::string& xpath) const;

 private:
  explicit Document(std::shared_ptr<pugi::xml_document> doc) : doc_(std::move(doc)) {}
  std::shared_ptr<pugi::xml_document> doc_;
};

// True when `text` is well-formed XML.
bool WellFormed(const std::string& text);

}  // namespace cpi::xml

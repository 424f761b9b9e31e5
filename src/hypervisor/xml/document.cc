#include "bosh_libvirt_cpi/xml/document.h"

#include <algorithm>
#include <cstring>

#include <pugixml.hpp>

#include "bosh_libvirt_cpi/errors.h"

// pugixml rather than libxml2 (which libvirt loads anyway): the first parse with libxml2 faults in
// ~0.7 MiB of its parser, initialisation and XPath code, in every call that reads a definition;
// pugixml's whole text is 147 KiB (BENCHMARKS.md, peak RSS).
namespace cpi::xml {
namespace {

// Whitespace-only text between elements is dropped (libvirt's indentation), as before. As a
// fragment, text outside the document element is kept, so that it can be refused below.
constexpr unsigned int kParseOptions = pugi::parse_default | pugi::parse_fragment;

// What pugixml does not check on its own but well-formed XML requires: exactly one document
// element and no attribute twice on one element.
bool StructurallyWellFormed(pugi::xml_document& doc) {
  int roots = 0;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_element) ++roots;
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) return false;
  }
  if (roots != 1) return false;
  bool ok = true;
  struct Walker : pugi::xml_tree_walker {
    bool* ok;
    bool for_each(pugi::xml_node& node) override {
      for (pugi::xml_attribute a : node.attributes()) {
        for (pugi::xml_attribute b = a.next_attribute(); b; b = b.next_attribute()) {
          if (std::strcmp(a.name(), b.name()) == 0) {
            *ok = false;
            return false;
          }
        }
      }
      return true;
    }
  } walker;
  walker.ok = &ok;
  doc.traverse(walker);
  return ok;
}

std::shared_ptr<pugi::xml_document> Load(const std::string& text) {
  auto doc = std::make_shared<pugi::xml_document>();
  pugi::xml_parse_result r =
      doc->load_buffer(text.data(), text.size(), kParseOptions, pugi::encoding_utf8);
  if (!r || !StructurallyWellFormed(*doc)) return nullptr;
  return doc;
}

pugi::xpath_query Compile(const std::string& xpath) {
  try {
    return pugi::xpath_query(xpath.c_str());
  } catch (const pugi::xpath_exception& e) {
    throw CloudError("evaluating XPath " + Quote(xpath) + ": " + e.what());
  }
}

// The XPath string-value of a node: an attribute's value, else the text of its descendants.
void AppendText(pugi::xml_node node, std::string& out) {
  if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
    out += node.value();
    return;
  }
  for (pugi::xml_node child : node.children()) AppendText(child, out);
}

std::string NodeString(const pugi::xpath_node& n) {
  if (n.attribute()) return n.attribute().value();
  std::string out;
  AppendText(n.node(), out);
  return out;
}

pugi::xpath_node_set Nodes(const pugi::xml_document& doc, const pugi::xpath_query& q) {
  pugi::xpath_node_set set = q.evaluate_node_set(doc);
  set.sort();  // document order, as XPath defines node-sets to be read
  return set;
}

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

}  // namespace

Document Document::Parse(const std::string& text, const std::string& what) {
  std::shared_ptr<pugi::xml_document> doc = Load(text);
  if (!doc) throw CloudError("parsing " + what + ": not well-formed XML");
  return Document(std::move(doc));
}

std::vector<std::string> Document::Strings(const std::string& xpath) const {
  pugi::xpath_query q = Compile(xpath);
  std::vector<std::string> out;
  switch (q.return_type()) {
    case pugi::xpath_type_node_set:
      for (const pugi::xpath_node& n : Nodes(*doc_, q)) out.push_back(NodeString(n));
      break;
    case pugi::xpath_type_string:
      out.push_back(q.evaluate_string(*doc_));
      break;
    default:
      break;
  }
  return out;
}

std::string Document::String(const std::string& xpath) const {
  std::vector<std::string> all = Strings(xpath);
  return all.empty() ? std::string() : all.front();
}

double Document::Number(const std::string& xpath) const {
  pugi::xpath_query q = Compile(xpath);
  if (q.return_type() == pugi::xpath_type_number) return q.evaluate_number(*doc_);
  if (q.return_type() == pugi::xpath_type_node_set) {
    return static_cast<double>(q.evaluate_node_set(*doc_).size());
  }
  return 0;
}

std::string Document::ElementXml(const std::string& xpath) const {
  std::vector<std::string> all = ElementsXml(xpath);
  return all.empty() ? std::string() : all.front();
}

std::vector<std::string> Document::ElementsXml(const std::string& xpath) const {
  pugi::xpath_query q = Compile(xpath);
  std::vector<std::string> out;
  if (q.return_type() != pugi::xpath_type_node_set) return out;
  for (const pugi::xpath_node& n : Nodes(*doc_, q)) {
    if (!n.node() || n.node().type() != pugi::node_element) continue;
    StringWriter w;
    n.node().print(w, "", pugi::format_raw, pugi::encoding_utf8);
    out.push_back(std::move(w.out));
  }
  return out;
}

bool WellFormed(const std::string& text) { return Load(text) != nullptr; }

}  // namespace cpi::xml

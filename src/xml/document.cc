#include "bosh_libvirt_cpi/xml/document.h"

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::xml {
namespace {

struct XPathContextDeleter {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};
struct XmlBufferDeleter {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* c) const { xmlFree(c); }
};
using XPathObjectPtr = std::unique_ptr<xmlXPathObject, XPathObjectDeleter>;

void NoErrors(void*, const char*, ...) {}

constexpr int kParseOptions =
    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

XPathObjectPtr Eval(xmlDoc* doc, const std::string& xpath) {
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(xmlXPathNewContext(doc));
  if (!ctx) throw CloudError("creating XPath context");
  XPathObjectPtr obj(xmlXPathEvalExpression(BAD_CAST xpath.c_str(), ctx.get()));
  if (!obj) throw CloudError("evaluating XPath " + Quote(xpath));
  return obj;
}

std::string NodeString(xmlNode* node) {
  std::unique_ptr<xmlChar, XmlCharDeleter> content(xmlNodeGetContent(node));
  return content ? std::string(reinterpret_cast<const char*>(content.get())) : std::string();
}

std::string Serialize(xmlDoc* doc, xmlNode* node) {
  std::unique_ptr<xmlBuffer, XmlBufferDeleter> buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), doc, node, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<size_t>(xmlBufferLength(buf.get())));
}

}  // namespace

Document Document::Parse(const std::string& text, const std::string& what) {
  xmlSetGenericErrorFunc(nullptr, NoErrors);
  xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "noname.xml", nullptr,
                              kParseOptions);
  if (doc == nullptr) throw CloudError("parsing " + what + ": not well-formed XML");
  return Document(doc);
}

std::vector<std::string> Document::Strings(const std::string& xpath) const {
  XPathObjectPtr obj = Eval(doc_.get(), xpath);
  std::vector<std::string> out;
  if (obj->type == XPATH_NODESET && obj->nodesetval != nullptr) {
    for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
      out.push_back(NodeString(obj->nodesetval->nodeTab[i]));
    }
  } else if (obj->type == XPATH_STRING && obj->stringval != nullptr) {
    out.emplace_back(reinterpret_cast<const char*>(obj->stringval));
  }
  return out;
}

std::string Document::String(const std::string& xpath) const {
  std::vector<std::string> all = Strings(xpath);
  return all.empty() ? std::string() : all.front();
}

double Document::Number(const std::string& xpath) const {
  XPathObjectPtr obj = Eval(doc_.get(), xpath);
  if (obj->type == XPATH_NUMBER) return obj->floatval;
  if (obj->type == XPATH_NODESET) return obj->nodesetval ? obj->nodesetval->nodeNr : 0;
  return 0;
}

std::string Document::ElementXml(const std::string& xpath) const {
  std::vector<std::string> all = ElementsXml(xpath);
  return all.empty() ? std::string() : all.front();
}

std::vector<std::string> Document::ElementsXml(const std::string& xpath) const {
  XPathObjectPtr obj = Eval(doc_.get(), xpath);
  std::vector<std::string> out;
  if (obj->type == XPATH_NODESET && obj->nodesetval != nullptr) {
    for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
      out.push_back(Serialize(doc_.get(), obj->nodesetval->nodeTab[i]));
    }
  }
  return out;
}

bool WellFormed(const std::string& text) {
  xmlSetGenericErrorFunc(nullptr, NoErrors);
  xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "noname.xml", nullptr,
                              kParseOptions);
  if (doc == nullptr) return false;
  xmlFreeDoc(doc);
  return true;
}

}  // namespace cpi::xml

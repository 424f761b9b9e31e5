#include "bosh_libvirt_cpi/xml/render.h"

#include <cstring>

#include <boost/filesystem.hpp>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/read_file.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::xml {
namespace {

// XML 1.0 allows tab, LF, CR and everything from 0x20 up; other control characters cannot be
// written even escaped.
bool AllowedInXml(unsigned char c) { return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'; }

bool SafeTemplateName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

}  // namespace

std::string Escape(const std::string& value) {
  for (unsigned char c : value) {
    if (!AllowedInXml(c)) {
      throw CpiError("value " + Quote(value.substr(0, 40)) +
                     " contains a control character that XML cannot hold");
    }
  }
  return kainjow::mustache::html_escape(value);
}

std::string LoadTemplate(std::string_view name, const std::string& templates_dir) {
  if (!SafeTemplateName(name)) throw CpiError("invalid template name " + Quote(name));
  if (templates_dir.empty()) {
    std::optional<std::string_view> built_in = EmbeddedTemplate(name);
    if (!built_in) throw CpiError("no built-in template " + Quote(name));
    return std::string(*built_in);
  }
  boost::filesystem::path path = boost::filesystem::path(templates_dir) / std::string(name);
  std::string text;
  if (int err = util::ReadFile(path.string(), text); err != 0) {
    throw CpiError("reading template " + Quote(path.string()) + ": " + std::strerror(err));
  }
  return text;
}

std::string Render(std::string_view name, const Data& data, const std::string& templates_dir) {
  std::string text = LoadTemplate(name, templates_dir);
  kainjow::mustache::mustache tmpl(text);
  if (!tmpl.is_valid()) {
    throw CpiError("template " + Quote(name) + " is invalid: " + tmpl.error_message());
  }
  tmpl.set_custom_escape([](const std::string& s) { return Escape(s); });
  // Rendered through the handler overload: the stream overload would build the C++ locale.
  std::string out;
  out.reserve(text.size() * 2);
  tmpl.render(data, [&out](const std::string& piece) { out += piece; });
  if (!tmpl.is_valid()) {
    throw CpiError("rendering template " + Quote(name) + ": " + tmpl.error_message());
  }
  if (!WellFormed(out)) {
    throw CpiError("template " + Quote(name) + " did not render to well-formed XML");
  }
  return out;
}

}  // namespace cpi::xml

#include "bosh_libvirt_cpi/vm/domain_spec.h"

#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::vm {

std::string CdromBus(const std::string& machine_type) {
  return machine_type.find("q35") != std::string::npos ? "sata" : "ide";
}

std::string RenderDomainXml(const DomainSpec& spec, const std::string& templates_dir) {
  using kainjow::mustache::data;
  data d;
  d.set("name", spec.name);
  d.set("title", spec.title);
  d.set("domain_type", spec.domain_type);
  if (!spec.machine_type.empty()) d.set("machine_type", spec.machine_type);
  d.set("agent_id", spec.agent_id);
  d.set("stemcell_cid", spec.stemcell_cid);
  d.set("pool", spec.pool);
  d.set("cpu", std::to_string(spec.cpu));
  d.set("memory_mib", std::to_string(spec.memory_mib));
  data disks{data::type::list};
  for (const DiskDevice& disk : spec.disks) {
    data item;
    item.set("path", disk.path);
    item.set("format", disk.format);
    item.set("target", disk.target);
    item.set("serial", disk.serial);
    disks << item;
  }
  d.set("disks", disks);
  data volumes{data::type::list};
  for (const VolumeRole& v : spec.volumes) {
    data item;
    item.set("role", v.role);
    item.set("volume", v.volume);
    volumes << item;
  }
  d.set("volumes", volumes);
  d.set("config_drive_path", spec.config_drive_path);
  std::string bus = CdromBus(spec.machine_type);
  d.set("cdrom_bus", bus);
  d.set("cdrom_target", bus == "sata" ? "sda" : "hdc");
  data nics{data::type::list};
  for (const network::Nic& nic : spec.nics) {
    data item;
    item.set("mac", nic.mac);
    if (!nic.libvirt_network.empty()) item.set("network", nic.libvirt_network);
    if (!nic.bridge.empty()) item.set("bridge", nic.bridge);
    nics << item;
  }
  d.set("nics", nics);
  d.set("console_log", spec.console_log);
  d.set("creating_since", std::to_string(spec.creating_since));
  return xml::Render("domain.xml", d, templates_dir);
}

}  // namespace cpi::vm

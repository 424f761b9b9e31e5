/* The floor of create_vm: the libvirt calls the CPI's create_vm makes, in the same order, from a
 * minimal C program with everything precomputed (no JSON, no templates, no ISO building, no
 * locking). What create_vm cannot beat.
 *
 *   create_vm URI POOL STEMCELL_VOL NETWORK NAME MAC CONSOLE_LOG ISO_BYTES EPHEMERAL_MIB
 *
 * Calls: open; pool lookup + is-active; stemcell volume lookup, XML, info; list all domains and
 * read the inactive XML of each one whose MACs do not follow from its name (the CPI's MAC scan:
 * none but foreign and older domains); network lookup; create the root overlay
 * (backing store: the stemcell), the ephemeral volume and the config volume, upload ISO_BYTES into
 * the latter through a stream; define the domain (validated) and start it. Prints NAME.
 * Build: cc -O2 -o create_vm create_vm.c $(pkg-config --cflags --libs libvirt)
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void Die(const char* what) {
  virErrorPtr e = virGetLastError();
  fprintf(stderr, "create_vm floor: %s: %s\n", what, e ? e->message : "?");
  exit(1);
}

static char* Path(virStorageVolPtr vol) {
  char* p = virStorageVolGetPath(vol);
  if (!p) Die("volume path");
  return p;
}

static virStorageVolPtr CreateVol(virStoragePoolPtr pool, const char* name, unsigned long long bytes,
                                  const char* format, const char* backing, const char* backing_format) {
  char xml[2048], back[1024] = "";
  if (backing)
    snprintf(back, sizeof back, "<backingStore><path>%s</path><format type='%s'/></backingStore>", backing,
             backing_format);
  snprintf(xml, sizeof xml,
           "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity><allocation unit='bytes'>0</allocation>"
           "<target><format type='%s'/><permissions><mode>0644</mode></permissions></target>%s</volume>",
           name, bytes, format, back);
  virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);
  if (!vol) Die(name);
  return vol;
}

/* Whether a domain's MACs follow from its name (vm-<uuid version 8>, src/vm/mac_allocation.cc), so
 * that the MAC scan need not read its definition. */
static int DerivedMacs(const char* name) {
  return name && strlen(name) == 39 && strncmp(name, "vm-", 3) == 0 && name[17] == '8';
}

int main(int argc, char** argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: create_vm URI POOL STEMCELL_VOL NETWORK NAME MAC CONSOLE_LOG ISO_BYTES EPHEMERAL_MIB\n");
    return 2;
  }
  const char *uri = argv[1], *pool_name = argv[2], *stemcell = argv[3], *network = argv[4], *name = argv[5],
             *mac = argv[6], *console_log = argv[7];
  size_t iso_bytes = strtoull(argv[8], NULL, 10);
  unsigned long long eph_bytes = strtoull(argv[9], NULL, 10) << 20;
  virSetErrorFunc(NULL, NULL);
  virConnectPtr conn = virConnectOpen(uri);
  if (!conn) Die("connect");
  virStoragePoolPtr pool = virStoragePoolLookupByName(conn, pool_name);
  if (!pool || virStoragePoolIsActive(pool) != 1) Die("pool");

  virStorageVolPtr sc = virStorageVolLookupByName(pool, stemcell);
  if (!sc) Die("stemcell");
  char* sc_xml = virStorageVolGetXMLDesc(sc, 0);
  virStorageVolInfo sc_info;
  if (!sc_xml || virStorageVolGetInfo(sc, &sc_info) < 0) Die("stemcell info");
  char* sc_path = Path(sc);

  virDomainPtr* doms = NULL;
  int n = virConnectListAllDomains(conn, &doms, 0);
  if (n < 0) Die("list domains");
  for (int i = 0; i < n; ++i) {
    if (!DerivedMacs(virDomainGetName(doms[i]))) free(virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE));
    virDomainFree(doms[i]);
  }
  free(doms);
  virNetworkPtr net = virNetworkLookupByName(conn, network);
  if (!net) Die("network");
  virNetworkFree(net);

  char root_name[256], eph_name[256], cfg_name[256];
  snprintf(root_name, sizeof root_name, "%s-root", name);
  snprintf(eph_name, sizeof eph_name, "%s-ephemeral", name);
  snprintf(cfg_name, sizeof cfg_name, "%s-config", name);
  virStorageVolPtr root = CreateVol(pool, root_name, sc_info.capacity, "qcow2", sc_path, "qcow2");
  char* root_path = Path(root);
  virStorageVolPtr eph = CreateVol(pool, eph_name, eph_bytes, "qcow2", NULL, NULL);
  char* eph_path = Path(eph);
  virStorageVolPtr cfg = CreateVol(pool, cfg_name, iso_bytes, "raw", NULL, NULL);
  char* iso = calloc(1, iso_bytes);
  virStreamPtr st = virStreamNew(conn, 0);
  if (!st || virStorageVolUpload(cfg, st, 0, 0, 0) < 0) Die("upload");
  for (size_t off = 0; off < iso_bytes;) {
    int sent = virStreamSend(st, iso + off, iso_bytes - off);
    if (sent < 0) Die("stream send");
    off += (size_t)sent;
  }
  if (virStreamFinish(st) < 0) Die("stream finish");
  virStreamFree(st);
  char* cfg_path = Path(cfg);

  /* The same devices as templates/domain.xml renders for one NIC and an ephemeral disk. */
  char xml[16384];
  snprintf(xml, sizeof xml,
           "<domain type='qemu'><name>%s</name><title>%s</title><metadata>"
           "<cpi:vm xmlns:cpi='https://github.com/bosh-libvirt-cpi/xmlns/vm/1'><cpi:agent_id>floor</cpi:agent_id>"
           "<cpi:stemcell>%s</cpi:stemcell><cpi:pool>%s</cpi:pool><cpi:volume role='root'>%s</cpi:volume>"
           "<cpi:volume role='ephemeral'>%s</cpi:volume><cpi:volume role='config'>%s</cpi:volume></cpi:vm>"
           "</metadata><memory unit='MiB'>128</memory>"
           "<currentMemory unit='MiB'>128</currentMemory><vcpu placement='static'>1</vcpu>"
           "<os><type arch='x86_64'>hvm</type><boot dev='hd'/><bios useserial='yes'/></os>"
           "<features><acpi/><apic/></features><clock offset='utc'/><on_poweroff>destroy</on_poweroff>"
           "<on_reboot>restart</on_reboot><on_crash>restart</on_crash><devices>"
           "<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/><source file='%s'/>"
           "<target dev='vda' bus='virtio'/><serial>root</serial><alias name='ua-root'/></disk>"
           "<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/><source file='%s'/>"
           "<target dev='vdb' bus='virtio'/><serial>ephemeral</serial><alias name='ua-ephemeral'/></disk>"
           "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='%s'/>"
           "<target dev='hdc' bus='ide'/><readonly/><alias name='ua-config-drive'/></disk>"
           "<interface type='network'><source network='%s'/><mac address='%s'/><model type='virtio'/></interface>"
           "<serial type='pty'><log file='%s' append='on'/><target port='0'/></serial>"
           "<console type='pty'><target type='serial' port='0'/></console>"
           "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
           "<memballoon model='virtio'/></devices></domain>",
           name, name, stemcell, pool_name, root_name, eph_name, cfg_name, root_path, eph_path, cfg_path, network, mac, console_log);
  virDomainPtr dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
  if (!dom) Die("define");
  if (virDomainCreate(dom) < 0) Die("start");
  printf("%s\n", name);
  return 0; /* the process ends: no frees needed, as in the CPI after its last call */
}

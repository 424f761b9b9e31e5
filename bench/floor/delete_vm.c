/* The floor of delete_vm: destroy + undefine + deleting the VM's own volumes, nothing else.
 *
 *   delete_vm URI POOL NAME
 *
 * virDomainDestroy (flags 0, as `virsh destroy` and the CPI), virDomainUndefineFlags with the
 * flags the CPI uses, then lookup + delete of NAME-root, NAME-ephemeral, NAME-config. Persistent
 * disks stay, as with the CPI.
 * Build: cc -O2 -o delete_vm delete_vm.c $(pkg-config --cflags --libs libvirt)
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>

static void Die(const char* what) {
  virErrorPtr e = virGetLastError();
  fprintf(stderr, "delete_vm floor: %s: %s\n", what, e ? e->message : "?");
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: delete_vm URI POOL NAME\n");
    return 2;
  }
  virSetErrorFunc(NULL, NULL);
  virConnectPtr conn = virConnectOpen(argv[1]);
  if (!conn) Die("connect");
  virDomainPtr dom = virDomainLookupByName(conn, argv[3]);
  if (!dom) Die("lookup");
  if (virDomainDestroy(dom) < 0) Die("destroy");
  if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM |
                                      VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                      VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0)
    Die("undefine");
  virStoragePoolPtr pool = virStoragePoolLookupByName(conn, argv[2]);
  if (!pool) Die("pool");
  const char* suffixes[] = {"root", "ephemeral", "config"};
  for (int i = 0; i < 3; ++i) {
    char name[256];
    snprintf(name, sizeof name, "%s-%s", argv[3], suffixes[i]);
    virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
    if (!vol || virStorageVolDelete(vol, 0) < 0) Die(name);
  }
  printf("deleted %s\n", argv[3]);
  return 0;
}

#!/bin/sh
# busybox acpid handler for the ACPI power button (installed as
# /etc/acpi/PWRF/00000080): what `virsh shutdown` and `virsh reboot` press.
# shellcheck source=report.sh
. /lib/bosh-test/report.sh
shutdown_now poweroff acpi_power_button

#!/bin/sh
# SuspendProgram: slurmctld runs it with a hostlist ("cpu-[1-3]") of idle nodes to power down.
set -eu
log=/var/log/slurm/power_save.log
power_off() {  # replace with the site's call (cloud API, IPMI, virsh ...)
  echo "$(date -Is) power off $1" >>"$log"
}
for host in $(scontrol show hostnames "$1"); do
  power_off "$host"
done

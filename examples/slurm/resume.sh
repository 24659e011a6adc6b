#!/bin/sh
# ResumeProgram: slurmctld runs it with a hostlist of nodes a job needs; each must boot and start
# slurmd (which registers with slurmctld) within ResumeTimeout, or Slurm marks it DOWN and
# requeues the job.
set -eu
log=/var/log/slurm/power_save.log
power_on() {  # replace with the site's call (cloud API, IPMI, virsh ...)
  echo "$(date -Is) power on $1" >>"$log"
}
for host in $(scontrol show hostnames "$1"); do
  power_on "$host"
done

#!/usr/bin/env bash
# Runs CMD... against a real single-node Slurm cluster started for it, and tears the cluster down
# afterwards (also when CMD fails or the script is interrupted).
#
#   scripts/with-slurm.sh CMD [ARGS...]
#
# What it starts, all private to a temporary folder (nothing in /etc or /run is changed):
#   - munged (as the `munge` user when run as root) on its own socket, with the machine's
#     /etc/munge/munge.key (or a key generated here when there is none readable),
#   - slurmctld and slurmd with a generated slurm.conf: one node (this host) with its cores, one
#     partition `debug` (Default, MaxTime=INFINITE), non-default ports, no accounting, no cgroups,
#     MpiDefault=none (OpenMPI programs: `srun --mpi=pmix`).
# CMD runs with SLURM_CONF exported (every Slurm client reads it), WITH_SLURM_DIR (the temporary
# folder) and WITH_SLURM_PARTITION=debug. The node is idle before CMD starts. Exit status: CMD's.
# Needs root (slurmd runs jobs as their user), slurm-wlm and munge (scripts/install-deps.sh).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: scripts/with-slurm.sh CMD [ARGS...]" >&2
  exit 2
fi
for tool in munged slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "with-slurm: $tool not found (install slurm-wlm and munge: scripts/install-deps.sh)" >&2; exit 2; }
done
if [ "$(id -u)" -ne 0 ]; then
  echo "with-slurm: must run as root (slurmd starts jobs as their user)" >&2
  exit 2
fi

DIR=$(mktemp -d /tmp/with-slurm.XXXXXX)
chmod 755 "$DIR"
HOST=$(hostname -s)
PIDS=()

cleanup() {
  local rc=$?
  set +e
  # Jobs first (their processes belong to slurmd), then the daemons, newest first.
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$DIR/slurmctld.pid" ]; then
    scancel --full --quiet --user="$(id -un)" >/dev/null 2>&1
  fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -f "$DIR/$f" ] && kill "$(cat "$DIR/$f")" 2>/dev/null
  done
  for _ in $(seq 50); do
    local alive=0
    for f in slurmd.pid slurmctld.pid munge/munged.pid; do
      [ -f "$DIR/$f" ] && kill -0 "$(cat "$DIR/$f")" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -f "$DIR/$f" ] && kill -9 "$(cat "$DIR/$f")" 2>/dev/null
  done
  if [ $rc -ne 0 ] && [ -z "${WITH_SLURM_QUIET:-}" ]; then
    for log in slurmctld.log slurmd.log; do
      [ -f "$DIR/$log" ] && { echo "--- with-slurm: last lines of $log" >&2; tail -n 15 "$DIR/$log" >&2; }
    done
  fi
  [ -z "${WITH_SLURM_KEEP:-}" ] && rm -rf "$DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- munge, private socket
mkdir -p "$DIR/munge"
if [ -r /etc/munge/munge.key ]; then
  cp /etc/munge/munge.key "$DIR/munge/munge.key"
else
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=128 count=1 status=none
fi
chmod 600 "$DIR/munge/munge.key"
chmod 700 "$DIR/munge"
MUNGE_USER=root
id munge >/dev/null 2>&1 && MUNGE_USER=munge
chown -R "$MUNGE_USER" "$DIR/munge"
SOCKET="$DIR/munge/munge.socket"
runuser -u "$MUNGE_USER" -- munged --force --socket="$SOCKET" --key-file="$DIR/munge/munge.key" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
  --seed-file="$DIR/munge/munged.seed"
chmod 755 "$DIR/munge"  # clients (slurmd's job steps) reach the socket
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || { echo "with-slurm: munged did not start" >&2; cat "$DIR/munge/munged.log" >&2; exit 1; }

# ---- slurm.conf
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
# Ports: a pair derived from our pid, away from Slurm's 6817/6818.
BASE=$((20000 + ($$ % 20000) * 2))
mkdir -p "$DIR/state" "$DIR/spool"
cat >"$DIR/slurm.conf" <<EOF
ClusterName=glia-test
SlurmctldHost=$HOST
SlurmctldPort=$BASE
SlurmdPort=$((BASE + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=300
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$DIR/slurm.conf"

slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
# The node idle: sinfo answers and shows it so.
ok=0
for _ in $(seq 150); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
  if [ "$state" = idle ]; then ok=1; break; fi
  sleep 0.2
done
if [ $ok -ne 1 ]; then
  echo "with-slurm: node $HOST not idle after 30 s (state: ${state:-none})" >&2
  exit 1
fi

export WITH_SLURM_DIR="$DIR" WITH_SLURM_PARTITION=debug
set +e
"$@"
rc=$?
set -e
exit $rc

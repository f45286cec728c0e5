#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the test of `basin study --slurm`:
#   local-slurm.sh start DIR   writes DIR/slurm.conf (this host as the only node, localhost ports), starts
#                              munged (unless one runs), slurmctld and slurmd, and waits until the node is idle;
#                              prints the SLURM_CONF line to export.
#   local-slurm.sh stop DIR    shuts down what start started.
# Needs root and Debian's slurm-wlm and munge (scripts/setup.sh --test installs them). Exits non-zero with
# the reason when the cluster cannot start.
set -euo pipefail
action="${1:-}"; dir="${2:-}"
[ -n "$action" ] && [ -n "$dir" ] || { echo "usage: local-slurm.sh start|stop DIR" >&2; exit 2; }
dir="$(mkdir -p "$dir" && cd "$dir" && pwd)"
conf="$dir/slurm.conf"
fail() { echo "local-slurm: $*" >&2; exit 1; }

if [ "$action" = stop ]; then
  if [ -f "$conf" ]; then SLURM_CONF="$conf" scontrol shutdown >/dev/null 2>&1 || true; fi
  for pid in "$dir/slurmctld.pid" "$dir/slurmd.pid"; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  if [ -f "$dir/munged.started" ]; then runuser -u munge -- munged --stop >/dev/null 2>&1 || true; rm -f "$dir/munged.started"; fi
  exit 0
fi
[ "$action" = start ] || fail "unknown action '$action'"
[ "$(id -u)" -eq 0 ] || fail "needs root (slurmd runs jobs as their user)"
for tool in slurmctld slurmd sbatch sinfo scontrol munged; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (bash scripts/setup.sh --test installs slurm-wlm and munge)"
done

if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
  [ -f /etc/munge/munge.key ] || fail "no /etc/munge/munge.key (reinstall munge, or create one with mungekey)"
  runuser -u munge -- munged || fail "munged did not start"
  touch "$dir/munged.started"
fi
munge -n | unmunge >/dev/null 2>&1 || fail "munge does not work (munge -n | unmunge failed)"

# Two free TCP ports on localhost for slurmctld and slurmd.
ports=()
for p in $(seq $((20000 + RANDOM % 20000)) 45000); do
  if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then ports+=("$p"); fi
  [ ${#ports[@]} -eq 2 ] && break
done
node="$(hostname -s)"
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat > "$conf" <<CONF
ClusterName=basintest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=basin Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -f "$conf" || fail "slurmctld did not start: $(tail -n 3 "$dir/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
slurmd -f "$conf" || fail "slurmd did not start: $(tail -n 3 "$dir/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
for _ in $(seq 1 60); do
  state="$(sinfo -h -o %t 2>/dev/null || true)"
  if [ "$state" = idle ]; then echo "SLURM_CONF=$conf"; exit 0; fi
  sleep 0.5
done
fail "the node did not become idle within 30 s (state '${state:-none}'): $(tail -n 3 "$dir/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"

#!/usr/bin/env bash
# local-cluster.sh — a single-node Slurm cluster on this machine, for tests and trials.
#
#   pipelines/slurm/local-cluster.sh start DIR    configure and start it under DIR
#   pipelines/slurm/local-cluster.sh stop DIR     stop the daemons started under DIR
#
# start writes a munge key and a slurm.conf under DIR (this host as controller and
# only node, free ports, state and spool folders under DIR), starts munged as user
# munge, slurmctld and slurmd, waits until the node is idle, and prints the line to
# run before sbatch: export SLURM_CONF=DIR/slurm.conf. It needs root and Debian's
# slurm-wlm and munge (apt-get install slurm-wlm munge). Nothing outside DIR is
# touched; a system-wide Slurm or munge is left alone.
set -euo pipefail
usage() {
	echo "usage: $0 start|stop DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

alive() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $state in Z*) return 1 ;; esac
}

stop_pid() {
	local f=$1 pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "$0: no free port found" >&2
	exit 1
}

case $cmd in
stop)
	stop_pid "$dir/run/slurmd.pid"
	stop_pid "$dir/run/slurmctld.pid"
	stop_pid "$dir/run/munged.pid"
	exit 0
	;;
start) ;;
*) usage ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root (SlurmUser=root, munged as user munge)" >&2; exit 1; }
for p in munged mungekey slurmctld slurmd sbatch sinfo setpriv; do
	command -v "$p" >/dev/null 2>&1 || { echo "$0: $p not found (Debian: apt-get install slurm-wlm munge)" >&2; exit 1; }
done
id munge >/dev/null 2>&1 || { echo "$0: no user munge (Debian: apt-get install munge)" >&2; exit 1; }

chmod 755 "$dir"
setpriv --reuid=munge --regid=munge --init-groups test -x "$dir" ||
	{ echo "$0: user munge cannot reach $dir: make its parent folders searchable (chmod o+x)" >&2; exit 1; }
mkdir -p "$dir/munge" "$dir/run" "$dir/state" "$dir/spool" "$dir/log"
chown munge:munge "$dir/munge" "$dir/run"
chmod 700 "$dir/munge"
chmod 755 "$dir/run"
[ -f "$dir/munge/munge.key" ] || setpriv --reuid=munge --regid=munge --init-groups mungekey -c -k "$dir/munge/munge.key"
setpriv --reuid=munge --regid=munge --init-groups munged \
	--socket="$dir/run/munge.sock" --key-file="$dir/munge/munge.key" --pid-file="$dir/run/munged.pid" \
	--log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

node=$(hostname -s)
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
cat >"$dir/slurm.conf" <<CONF
ClusterName=dds
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$node"
for _ in $(seq 150); do
	if [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ]; then
		echo "export SLURM_CONF=$SLURM_CONF"
		exit 0
	fi
	sleep 0.2
done
echo "$0: the node did not become idle in 30 s; logs in $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1

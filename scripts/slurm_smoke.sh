#!/usr/bin/env bash
# Smoke test of glassbox bench under a real single-node Slurm (issue 15, 21-23).
#
#   bash scripts/slurm_smoke.sh          # as root, with apt-get (installs Debian's slurm + munge if missing)
#
# It brings up munge, slurmctld and slurmd from Debian's packages with a
# private slurm.conf (SLURM_CONF; /etc/slurm is not touched), then:
#   1. submits a small sweep as a 2-task array (--array=0-1, --cpus-per-task=1,
#      glassbox bench --shards 2), cancels task 1 once it has started;
#   2. resubmits index 1 alone (sbatch --array=1) with the same script, which
#      must resume shard 1/2 (not rerun the whole grid as a 1-task array);
#   3. merges the shards (no duplicate may appear) and compares the result
#      with a one-process run of the same grid (bench merge fails on any cell
#      whose metrics differ; the cell counts must match).
# Every wait is bounded; the daemons it started are stopped on exit.
# Exit status: 0 passed, or skipped with a message (not root, no apt-get,
# packages not installable, or Slurm does not come up on this machine);
# 1 when glassbox misbehaves.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "slurm_smoke: SKIP: $*" >&2; exit 0; }
fail() { echo "slurm_smoke: FAIL: $*" >&2; exit 1; }
say() { echo "slurm_smoke: $*" >&2; }

[ "$(id -u)" = 0 ] || skip "needs root (it starts munged, slurmctld and slurmd)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	command -v apt-get >/dev/null || skip "Slurm is not installed and apt-get is not available"
	say "installing slurmctld slurmd slurm-client munge"
	(timeout 120 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends \
		slurmctld slurmd slurm-client munge) >/dev/null 2>&1 || skip "could not install Debian's slurm packages"
fi

work=$(mktemp -d /tmp/glassbox-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	local p
	if [ -n "${SLURM_CONF:-}" ] && [ -s "$work/slurmctld.pid" ]; then
		timeout 10 scancel --full -u "$(id -un)" 2>/dev/null || true # our cluster's jobs only (SLURM_CONF)
		for _ in $(seq 10); do
			[ -z "$(timeout 5 squeue -h -o '%i' 2>/dev/null)" ] && break
			sleep 1
		done
	fi
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	sleep 1
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # run cleanup when timed out or interrupted

say "building glassbox"
go build -o "$work/glassbox" ./cmd/glassbox

# munge: a private key and socket, so a system munged (if any) is left alone.
mkdir -p "$work/munge"
chown munge: "$work/munge" 2>/dev/null || true
chmod 755 "$work/munge" # munged wants the socket directory reachable by all
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chown munge: "$work/munge/munge.key" 2>/dev/null || true
chmod 400 "$work/munge/munge.key"
sock="$work/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --key-file="$work/munge/munge.key" --socket="$sock" \
	--pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" ||
	skip "munged did not start: $(tail -3 "$work/munge/munged.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/munge/munged.pid" ] && break; sleep 0.1; done
[ -s "$work/munge/munged.pid" ] || skip "munged wrote no pid file"
pids+=("$(cat "$work/munge/munged.pid")")

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/log"
cat >"$work/slurm.conf" <<EOF
ClusterName=glassbox-smoke
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=smoke Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
export SLURM_CONF="$work/slurm.conf"

say "starting slurmctld and slurmd"
slurmctld -f "$SLURM_CONF" -i || skip "slurmctld did not start: $(tail -5 "$work/log/slurmctld.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/slurmctld.pid" ] && break; sleep 0.2; done
[ -s "$work/slurmctld.pid" ] && pids+=("$(cat "$work/slurmctld.pid")")
slurmd -f "$SLURM_CONF" || skip "slurmd did not start: $(tail -5 "$work/log/slurmd.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/slurmd.pid" ] && break; sleep 0.2; done
[ -s "$work/slurmd.pid" ] && pids+=("$(cat "$work/slurmd.pid")")
up=""
for _ in $(seq 60); do
	state=$(timeout 10 sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
	case "$state" in idle*|mix*|alloc*) up=1; break ;; esac
	sleep 1
done
[ -n "$up" ] || skip "the node did not become idle (state '${state:-none}'): $(tail -5 "$work/log/slurmd.log" 2>/dev/null)"
say "Slurm is up ($host, $cpus CPUs)"

# A small grid: 2 hooks × 2 k × 3 seeds = 12 cells, about 2 s each.
grid=(--cases 3 --archs topk --k 2,4 --seeds 1,2,3 --training-tokens 3000000)
out="$work/sweep"
cat >"$work/job.sh" <<EOF
#!/bin/bash
exec "$work/glassbox" bench ${grid[*]} --shards 2 --out "$out" --no-leaderboard
EOF
chmod +x "$work/job.sh"

# wait_job JOBID SECONDS: until no task of the job is pending or running.
wait_job() {
	local i
	for i in $(seq "$2"); do
		[ -z "$(squeue -h -j "$1" -o '%i' 2>/dev/null)" ] && return 0
		sleep 1
	done
	scancel "$1" 2>/dev/null || true
	fail "job $1 still running after $2 s"
}
# lines FILE: complete result lines written so far.
lines() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }

job=$(sbatch --parsable --array=0-1 --cpus-per-task=1 -o "$work/log/task-%a.out" -D "$work" "$work/job.sh") ||
	fail "sbatch refused the array"
job=${job%%;*}
say "submitted array job $job (tasks 0-1)"

# Cancel task 1 once it has recorded its first cell (or after 60 s running).
r1="$out/shard-1-of-2/results.jsonl"
for _ in $(seq 120); do
	[ "$(lines "$r1")" -ge 1 ] && break
	sleep 0.5
done
scancel "${job}_1" || true
say "cancelled task 1 after $(lines "$r1") of its 6 cells"
wait_job "$job" 180
before=$(lines "$r1")
[ "$before" -lt 6 ] || say "warning: task 1 finished before it was cancelled; the resubmission then has nothing left to do"
[ ! -e "$out/results.jsonl" ] || fail "a task wrote $out/results.jsonl (ran as a whole-grid task)"
grep -q "6 cells" "$work/log/task-0.out" || fail "task 0 did not run 6 cells: $(tail -3 "$work/log/task-0.out")"
grep -q "shard 0/2, 6 of 12 cells, 1 at once" "$work/log/task-0.out" ||
	fail "task 0 (--cpus-per-task=1) did not run 1 cell at once: $(head -3 "$work/log/task-0.out")"

job2=$(sbatch --parsable --array=1 --cpus-per-task=1 -o "$work/log/resubmit-%a.out" -D "$work" "$work/job.sh") ||
	fail "sbatch refused the resubmission"
job2=${job2%%;*}
say "resubmitted index 1 as job $job2"
wait_job "$job2" 180
grep -q "results.jsonl: 6 cells, $before already done" "$work/log/resubmit-1.out" ||
	fail "the resubmitted task did not resume shard 1/2 ($before cells done): $(tail -3 "$work/log/resubmit-1.out")"
[ ! -e "$out/results.jsonl" ] || fail "the resubmitted task wrote $out/results.jsonl (ran as a whole-grid task)"
[ "$(lines "$r1")" = 6 ] || fail "shard 1 has $(lines "$r1") results after the resubmission, want 6"

merged=$("$work/glassbox" bench merge "$work/merged" "$out") || fail "merge of the shards failed"
say "$merged"
case "$merged" in *"12 lines → 12 cells (12 ok, 0 failed); 0 duplicates"*) ;; *) fail "unexpected merge: $merged" ;; esac

say "one-process run of the same grid"
"$work/glassbox" bench "${grid[@]}" --out "$work/whole" --no-leaderboard --jobs 2 2>"$work/log/whole.err" ||
	fail "one-process run failed: $(tail -3 "$work/log/whole.err")"
cmp=$("$work/glassbox" bench merge "$work/compare" "$work/merged" "$work/whole") || fail "shards and one-process run disagree: $cmp"
case "$cmp" in *"24 lines → 12 cells (12 ok, 0 failed); 12 duplicates"*) ;; *) fail "unexpected comparison: $cmp" ;; esac
say "PASS: 2-task array, cancelled task resumed by resubmitting its index, merge identical to one process"

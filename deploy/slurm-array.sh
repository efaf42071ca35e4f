#!/usr/bin/env bash
# sbatch deploy/slurm-array.sh IN OUT: denoises a shared folder with an 8-task array; each task takes its own shard
# (SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN, so --array=1-8 works as well as 0-7). Resubmitting skips finished files.
#SBATCH --job-name=restora-denoise
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
set -euo pipefail
./restora denoise "$1" -o "$2" --shards "${SLURM_ARRAY_TASK_COUNT:-8}" --threads "${SLURM_CPUS_PER_TASK:-4}"

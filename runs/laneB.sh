#!/bin/bash
# Lane B of this session's training: the runs one after another on one thread (the denoise run has the other core).
set -e
D=../../../shared/datasets/CUrban100:../../../shared/datasets/CSun_Hays80
CLI="nice -n 5 dotnet ../cli2/restora.dll"
while pgrep -f "restora-deblock.safetensors --quality-range" >/dev/null; do sleep 10; done
mkdir -p /work/main/runs/deblur && cd /work/main/runs/deblur
$CLI train --task deblur --arch unet --arch-options features=24,blocks=2,residual=true --data $D --holdout 8 -o restora-deblur.safetensors --blur-range 0.5,3 --patch 64 --batch 16 --iters 3000 --lr 5e-4 --min-lr 1e-6 --warmup 200 --ema --val-every 1000 --checkpoint-every 250 --seed 1 --threads 1 > train.out 2> train.err
mkdir -p /work/main/runs/sr-x2 && cd /work/main/runs/sr-x2
$CLI train --task sr --scale 2 --arch edsr --arch-options features=48,blocks=8 --data $D --holdout 8 -o restora-sr-x2.safetensors --patch 64 --batch 16 --iters 3000 --lr 4e-4 --min-lr 1e-6 --warmup 200 --ema --val-every 1000 --checkpoint-every 250 --seed 1 --threads 1 > train.out 2> train.err
mkdir -p /work/main/runs/sr-x4 && cd /work/main/runs/sr-x4
$CLI train --task sr --scale 4 --arch edsr --arch-options features=48,blocks=8 --data $D --holdout 8 -o restora-sr-x4.safetensors --init ../sr-x2/restora-sr-x2.safetensors --patch 96 --batch 16 --iters 5000 --lr 4e-4 --min-lr 1e-6 --warmup 200 --ema --val-every 1000 --checkpoint-every 250 --seed 1 --threads 1 > train.out 2> train.err

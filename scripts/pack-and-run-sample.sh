#!/usr/bin/env bash
# Packs the libraries, the facade and the shipped models into a temporary folder feed, then builds and runs
# samples/Restora.Sample against that feed (package references, not project references), as another program would.
# The sample denoises a noisy copy of CSet5's first image; the result must score higher PSNR than its input.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
VERSION="${RESTORA_PACKAGE_VERSION:-0.1.0-local}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
mkdir -p "$feed"

echo "pack-and-run-sample: packing $VERSION into $feed" >&2
for project in Restora.Core Restora.Imaging Restora.Metrics Restora.Models Restora Restora.Models.Shipped; do
  nice -n 10 dotnet pack "$RESTORA_ROOT/src/$project/$project.csproj" -c Release -o "$feed" -p:Version="$VERSION" \
    -nologo -v q >&2
done
ls "$feed" >&2

# This feed first, then the machine's normal source for the packages Restora itself depends on.
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="restora-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
# A rerun packs the same version again: drop the copies an earlier run left in the global cache, or restore would
# take those instead of the packages just made. Only this script ever makes these versions.
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
for id in restora restora.core restora.imaging restora.metrics restora.models restora.models.shipped; do
  rm -rf "${cache:?}/$id/$VERSION"
done

cp -r "$RESTORA_ROOT/samples/Restora.Sample" "$work/sample"
cp "$RESTORA_ROOT/Directory.Build.props" "$work/"
nice -n 10 dotnet build "$work/sample/Restora.Sample.csproj" -c Release --configfile "$work/nuget.config" \
  -p:RestoraVersion="$VERSION" -o "$work/bin" -nologo -v q >&2
[ -f "$work/bin/models/restora-denoise.safetensors" ] || { echo "pack-and-run-sample: models/ missing from the output" >&2; exit 1; }

clean="$(find "$RESTORA_ROOT/../shared/datasets/CSet5" -name '*.png' | sort | head -1)"
"$RESTORA_ROOT/restora" degrade "$clean" -o "$work/noisy.png" --noise 25 --seed 1 >/dev/null
dotnet "$work/bin/Restora.Sample.dll" "$work/noisy.png" "$work/clean.png"
before="$("$RESTORA_ROOT/restora" metrics "$clean" "$work/noisy.png" --metrics psnr --json | jq .psnr)"
after="$("$RESTORA_ROOT/restora" metrics "$clean" "$work/clean.png" --metrics psnr --json | jq .psnr)"
echo "pack-and-run-sample: PSNR $before dB noisy, $after dB restored by the sample"
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a > b + 3) }' || { echo "pack-and-run-sample: the sample did not denoise" >&2; exit 1; }

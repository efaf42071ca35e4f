#!/usr/bin/env bash
# Coverage-guided fuzzing of Restora's parsers with AFL++ on SharpFuzz-instrumented assemblies.
#
#   scripts/fuzz.sh [TARGET|all] [--seconds N] [--timeout MS] [--memory MB]
#
# Runs the targets one after another (one core), each for N seconds (default 60), starting from fuzz/seeds/TARGET
# plus whatever earlier runs found (.build/fuzz/corpus/TARGET). Every input AFL saves as a crash or hang is copied to
# .build/fuzz/findings/TARGET/; replay one with
#   .build/fuzz/app/Restora.Fuzz replay TARGET FILE
# and once fixed, commit it under tests/Restora.Fuzz.Tests/fuzz-regressions/TARGET/ so the tests replay it forever.
# Per-input limits: --timeout (ms, default 2000) and --memory (MB of managed heap, default 1024; a .NET process
# reserves far more address space than it uses, so AFL's -m cannot bound it, the GC's hard limit does).
set -euo pipefail

# All in one function, read whole before it runs: editing this file while a long run is going cannot change what
# the run does next.
main() {
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  cd "$RESTORA_ROOT"

  target=all seconds=60 timeout_ms=2000 memory_mb=1024
  while [ $# -gt 0 ]; do
    case "$1" in
      --seconds) seconds="$2"; shift 2 ;;
      --timeout) timeout_ms="$2"; shift 2 ;;
      --memory) memory_mb="$2"; shift 2 ;;
      -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
      -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
      *) target="$1"; shift ;;
    esac
  done

  restora_ensure_native_libs
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      echo "fuzz: installing afl++" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >&2 \
        || { apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >&2; }
    else
      echo "fuzz: afl-fuzz is missing; run: sudo apt-get install -y afl++" >&2; exit 1
    fi
  fi

  work="$RESTORA_ROOT/.build/fuzz"
  tools="$work/tools" app="$work/app"
  if [ ! -x "$tools/sharpfuzz" ]; then
    echo "fuzz: installing the sharpfuzz tool" >&2
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >&2
  fi

  # A fresh copy every time: sharpfuzz rewrites the assemblies in place and must see them uninstrumented.
  echo "fuzz: building and instrumenting" >&2
  rm -rf "$app"
  dotnet publish fuzz/Restora.Fuzz/Restora.Fuzz.csproj -c Release -o "$app" -nologo -v q >&2
  # Listed before instrumenting: instrumented code crashes outside AFL.
  if [ "$target" = all ]; then targets=$("$app/Restora.Fuzz" list | awk '{print $1}'); else targets="$target"; fi
  for assembly in Restora.Core Restora.Imaging Restora.Models; do
    "$tools/sharpfuzz" "$app/$assembly.dll" >&2
  done

  export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_AUTORESUME=0
  export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
  export DOTNET_GCHeapHardLimit=$(printf '0x%x' $((memory_mb * 1024 * 1024)))
  export DOTNET_TieredPGO=0 DOTNET_gcServer=0

  printf '%-14s %12s %10s %8s %8s %8s %8s\n' target execs execs/s corpus edges crashes hangs
  total=0
  for t in $targets; do
    in="$work/in/$t" out="$work/out/$t" corpus="$work/corpus/$t" findings="$work/findings/$t"
    rm -rf "$in" "$out"
    mkdir -p "$in" "$corpus" "$findings" "$work/out"
    cp fuzz/seeds/"$t"/* "$in"/
    # What earlier runs found goes on from where they stopped (AFL keeps only the inputs that reach new code).
    find "$corpus" -maxdepth 1 -type f -size -1M -exec cp {} "$in"/ \; 2>/dev/null || true
    # The text and container formats get a dictionary of their keywords (fuzz/dictionaries): AFL rarely guesses
    # "data_offsets" or "_rebuild_tensor_v2" byte by byte.
    dict=() name="$t"
    case "$t" in ncnn-run) name=ncnn ;; pytorch) name=pickle ;; esac
    [ -f fuzz/dictionaries/"$name".dict ] && dict=(-x fuzz/dictionaries/"$name".dict)
    afl-fuzz -i "$in" -o "$out" -t "$timeout_ms" -m none -V "$seconds" "${dict[@]}" -- "$app/Restora.Fuzz" "$t" \
      > "$work/$t.log" 2>&1 || echo "fuzz: afl-fuzz for $t ended with an error (see $work/$t.log)" >&2
    stats="$out/default/fuzzer_stats"
    if [ -f "$stats" ]; then
      get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats"; }
      total=$((total + $(get execs_done)))
      printf '%-14s %12s %10s %8s %8s %8s %8s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" "$(get corpus_count)" "$(get edges_found)" \
        "$(get saved_crashes)" "$(get saved_hangs)"
      cp -f "$out"/default/queue/id:* "$corpus"/ 2>/dev/null || true
      for kind in crashes hangs; do
        for f in "$out"/default/$kind/id:*; do [ -f "$f" ] && cp -f "$f" "$findings/$kind-$(basename "$f" | tr ':,' '__')"; done
      done
    else
      printf '%-14s %s\n' "$t" "no fuzzer_stats (see $work/$t.log)"
    fi
  done
  echo "total inputs: $total"
}

main "$@"
exit

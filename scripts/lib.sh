# SPDX-License-Identifier: MIT
# Shared by scripts/run and scripts/test: installing what the project needs
# from Debian's packages, and failing with a clear message when that is not
# possible. Sourced, not executed.

set -euo pipefail

DIATOMIC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  printf '\nerror: %s\n' "$*" >&2
  exit 1
}

step() {
  printf '\n==> %s  [%ds]\n' "$*" "$SECONDS"
}

# need_packages PKG...: installs the Debian packages that are missing, saying
# which, with one apt-get update per run.
need_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null ||
    die "missing packages (${missing[*]}) and no apt-get: this project is built on Debian 12"
  step "installing missing Debian packages: ${missing[*]}"
  if [ -z "${DIATOMIC_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq || die "apt-get update failed: is a Debian mirror reachable?"
    export DIATOMIC_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# as_root CMD...: runs CMD as root (through sudo unless we are root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null || die "'$*' needs root: run as root, or install sudo"
    sudo "$@"
  fi
}

# The packages every build needs. dpkg-dev: Meson asks its dpkg-architecture
# for Debian's multiarch libdir (lib/x86_64-linux-gnu); without it Meson
# installs to lib64, where neither pkg-config nor CMake look on Debian.
need_build_tools() {
  need_packages meson ninja-build g++ pkg-config dpkg-dev python3 libgtest-dev libbenchmark-dev libfmt-dev
}

# Windows builds (cross/x86_64-w64-mingw32.ini, MinGW-w64) run under Wine
# (package wine64), whose 64-bit loader Debian does not put on PATH.
WINE=/usr/lib/wine/wine64

# wine_prefix DIR: makes DIR a Wine prefix (Wine's registry and C: drive)
# if it is not one yet, with no display and no question (neither Mono's nor
# Gecko's installer), and exports it as WINEPREFIX, with WINEDEBUG=-all, for
# the programs run after it. Wine's debugger is off (winedbg.exe=d): a
# program that crashes then ends at once with a failing status, where the
# debugger, attached to it, sometimes let it end with status 0. Its server and Wine's own services are started
# here and stay up for all of them (starting them costs seconds) until
# wine_stop ends them; started by a test program instead, the services would
# hold its output open, and meson test would wait for them.
wine_prefix() {
  mkdir -p "$1"
  WINEPREFIX=$(cd "$1" && pwd)
  export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
  # Fails only if the prefix's server already runs: then that one serves.
  "$(dirname "$WINE")/wineserver" -p 2>/dev/null || true
  env -u DISPLAY "$WINE" wineboot --init </dev/null >"$WINEPREFIX.log" 2>&1 ||
    die "could not start the Wine prefix $WINEPREFIX (log: $WINEPREFIX.log)"
}

# mingw_wine_path DIR...: a WINEPATH (Wine's search path for DLLs) of the
# DIRs and the MinGW-w64 runtime's directories (libstdc++, libgcc,
# winpthreads), for programs that link them as DLLs, as cross/x86_64-w64-mingw32.ini
# does. meson test sets one itself only for a test program, not for those a
# script runs (the examples' output checks).
mingw_wine_path() {
  local dirs=("$@") dll
  for dll in libstdc++-6.dll libwinpthread-1.dll; do
    dirs+=("$(dirname "$(x86_64-w64-mingw32-g++-posix -print-file-name="$dll")")")
  done
  (IFS=';' && printf '%s' "${dirs[*]/#/Z:}")
}

# wine_stop: ends the server of WINEPREFIX (which would linger a few seconds).
wine_stop() {
  "$(dirname "$WINE")/wineserver" -k 2>/dev/null || true
}

# configure BUILDDIR [meson options...]: sets up a build, or reconfigures
# the one set up there before. Meson keeps a build directory's first cross
# files when it reconfigures it, whatever --cross-file says: a
# reconfiguration that fails (say, of cross files split in two since) is
# made again from scratch (--wipe), with the options given.
configure() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1 ||
      meson setup --wipe "$dir" "$@" >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log" >&2; die "meson setup of $dir failed (log above)"; }
  else
    mkdir -p "$(dirname "$dir")"
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log" >&2; die "meson setup of $dir failed (log above)"; }
  fi
}

# build BUILDDIR [TARGET...]: compiles (everything, or the targets named),
# and on failure shows the first errors only.
build() {
  local dir=$1
  shift
  if ! ninja -C "$dir" "$@" >"$dir.build.log" 2>&1; then
    grep -m 20 -E 'error|warning' "$dir.build.log" >&2 || tail -n 40 "$dir.build.log" >&2
    die "build in $dir failed; full log: $dir.build.log"
  fi
}

# fresh_workdir DIR NAME: empties DIR (made by an earlier run with the same
# NAME: the marker .diatomic-NAME keeps rm -rf to our own directories) and
# prints its absolute path.
fresh_workdir() {
  local dir=$1 marker=.diatomic-$2
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    [ -f "$dir/$marker" ] || die "$dir is not empty and was not made by $0"
    rm -rf "$dir"
  fi
  mkdir -p "$dir" && touch "$dir/$marker" && (cd "$dir" && pwd)
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves each way of consuming libdiatomic from outside its own build: installs
# it into a fresh temporary prefix, then builds and runs roundtrip.cpp through
#   install-layout    what `meson install` put where (SONAME, links, .a, .pc,
#                     cmake, LICENSE)
#   pkgconfig-shared  c++ $(pkg-config --cflags --libs diatomic)
#   pkgconfig-static  c++ -static $(pkg-config --static --cflags --libs diatomic)
#   meson-wrap        dependency('diatomic') from subprojects/diatomic.wrap
#                     (a git archive of HEAD in packagecache, or a tar of the
#                     source tree outside git; no network), with no -D option:
#                     the subproject must not look for gtest, benchmark or fmt
#   meson-installed   dependency('diatomic') found through pkg-config
#   cmake             find_package(diatomic 0.MINOR CONFIG REQUIRED) refusing
#                     other minors; diatomic::diatomic and diatomic::diatomic_static
# Usage: test/consumers/run.sh [WORKDIR]   (default: a new mktemp directory)
#        test/consumers/run.sh --system [WORKDIR]
#   --system: installs nothing and uses the libdiatomic installed on the system
#   (the Debian packages: test/consumers/debian.sh), with no search path set;
#   runs the pkg-config, meson-installed and cmake paths.
# Prints one line per path, with the reason and the log's tail on failure, and
# ends with "N passed, N failed". Exit status 0 only if all passed.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
set +e

# Everything the paths below run, so that this script works on its own in a
# fresh Debian root; CMake generates for Ninja (no `make` needed).
# dpkg-dev: see need_build_tools in scripts/lib.sh.
need_packages meson ninja-build g++ pkg-config dpkg-dev cmake binutils

SYSTEM=
if [ "${1:-}" = --system ]; then
  SYSTEM=1
  shift
fi
CONSUMERS=$DIATOMIC_ROOT/test/consumers
WORK=$(fresh_workdir "${1:-$(mktemp -d /tmp/diatomic-consumers.XXXXXX)}" consumers) || exit 1
PREFIX=$WORK/prefix
CXX=${CXX:-c++}
# A lost wake-up hangs roundtrip; this turns the hang into a failure.
RUN_TIMEOUT=60

# loads_from BINARY DIR [VAR=VALUE...]: ldd, in the environment the binary
# runs in, resolves libdiatomic.so.SOVERSION to DIR.
loads_from() {
  local binary=$1 dir=$2
  shift 2
  local line
  line=$(env -u LD_LIBRARY_PATH "$@" ldd "$binary" | grep "libdiatomic\.so")
  printf '+ ldd: %s\n' "$line" >>"$log"
  # Compared as real paths: with a merged /usr, /lib/<triplet> is /usr/lib/<triplet>.
  local loaded
  loaded=$(sed -n "s|^[[:space:]]*libdiatomic\.so\.$SOVERSION => \([^ ]*\) .*|\1|p" <<<"$line")
  if [ -z "$loaded" ] ||
    [ "$(readlink -f "$loaded")" != "$(readlink -f "$dir/libdiatomic.so.$SOVERSION")" ]; then
    reason="ldd does not resolve libdiatomic.so.$SOVERSION to $dir: '${line:-no libdiatomic at all}'"
    return 1
  fi
}

check_install_layout() {
  local lib=$LIBPATH
  expect "headers under include/diatomic/" \
    test -f "$PREFIX/include/diatomic/diatomic.hpp" -a -f "$PREFIX/include/diatomic/version.hpp" \
    -a -f "$PREFIX/include/diatomic/detail/diatomic_core.hpp" || return 1
  expect "libdiatomic.so.$VERSION is a file" test -f "$lib/libdiatomic.so.$VERSION" -a \
    ! -L "$lib/libdiatomic.so.$VERSION" || return 1
  expect "SONAME of libdiatomic.so.$VERSION is libdiatomic.so.$SOVERSION" \
    bash -c "readelf -d '$lib/libdiatomic.so.$VERSION' | grep -F '(SONAME)' | grep -qF '[libdiatomic.so.$SOVERSION]'" ||
    return 1
  expect "symlink libdiatomic.so.$SOVERSION -> libdiatomic.so.$VERSION" \
    test "$(readlink -f "$lib/libdiatomic.so.$SOVERSION")" = "$lib/libdiatomic.so.$VERSION" || return 1
  expect "dev symlink libdiatomic.so -> libdiatomic.so.$VERSION" \
    test "$(readlink -f "$lib/libdiatomic.so")" = "$lib/libdiatomic.so.$VERSION" || return 1
  expect "static library libdiatomic.a" test -f "$lib/libdiatomic.a" || return 1
  expect "pkgconfig/diatomic.pc with -pthread in Libs.private" \
    grep -qE '^Libs.private:.*-pthread' "$lib/pkgconfig/diatomic.pc" || return 1
  expect "pkg-config --variable=license diatomic is MIT" \
    test "$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --variable=license diatomic)" = MIT || return 1
  expect "cmake/diatomic/diatomicConfig.cmake and diatomicConfigVersion.cmake" \
    test -f "$lib/cmake/diatomic/diatomicConfig.cmake" -a \
    -f "$lib/cmake/diatomic/diatomicConfigVersion.cmake" || return 1
  expect "the license in share/doc/diatomic/LICENSE" \
    grep -q "MIT License" "$PREFIX/share/doc/diatomic/LICENSE" || return 1
}

# use_install: points pkg-config at the install (not needed with --system).
use_install() {
  if [ -n "$SYSTEM" ]; then
    unset PKG_CONFIG_PATH
  else
    export PKG_CONFIG_PATH=$LIBPATH/pkgconfig
  fi
}

check_pkgconfig_shared() {
  local dir flags
  dir=$(project pkgconfig-shared "")
  use_install
  flags=$(pkg-config --cflags --libs diatomic 2>>"$log") ||
    { reason="pkg-config does not find diatomic${PKG_CONFIG_PATH:+ in $PKG_CONFIG_PATH}"; return 1; }
  # shellcheck disable=SC2086 # flags are words
  try "compile and link with: $CXX $flags" \
    "$CXX" -std=c++20 "$dir/roundtrip.cpp" -o "$dir/roundtrip" $flags || return 1
  loads_from "$dir/roundtrip" "$LIBPATH" "${RUN_ENV[@]}" || return 1
  run_app "$dir" "${RUN_ENV[@]}"
}

check_pkgconfig_static() {
  local dir flags
  dir=$(project pkgconfig-static "")
  use_install
  flags=$(pkg-config --static --cflags --libs diatomic 2>>"$log") ||
    { reason="pkg-config --static does not find diatomic${PKG_CONFIG_PATH:+ in $PKG_CONFIG_PATH}"; return 1; }
  expect "pkg-config --static --libs carries Libs.private (-pthread): got '$flags'" \
    grep -q -- '-pthread' <<<"$flags" || return 1
  # shellcheck disable=SC2086 # flags are words
  try "static link with: $CXX -static $flags" \
    "$CXX" -std=c++20 -static "$dir/roundtrip.cpp" -o "$dir/roundtrip" $flags || return 1
  expect "the binary has no dynamic dependency on libdiatomic.so" \
    bash -c "! readelf -d '$dir/roundtrip' 2>/dev/null | grep -q 'libdiatomic'" || return 1
  contains_libdiatomic "$dir/roundtrip" || return 1
  run_app "$dir"
}

check_meson_wrap() {
  local dir archive
  dir=$(project meson-wrap meson)
  archive=diatomic-$VERSION.tar.gz
  mkdir -p "$dir/subprojects/packagecache"
  if git -C "$DIATOMIC_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    try "git archive of HEAD" \
      git -C "$DIATOMIC_ROOT" archive --format=tar.gz --prefix="diatomic-$VERSION/" \
      -o "$dir/subprojects/packagecache/$archive" HEAD || return 1
    git -C "$DIATOMIC_ROOT" diff --quiet HEAD 2>/dev/null ||
      echo "note: the working tree differs from HEAD; the wrap archive holds HEAD" >>"$log"
  else
    # Not a git checkout (an unpacked release): archive the source tree itself.
    try "tar of the source tree" \
      tar -C "$DIATOMIC_ROOT" --exclude=./build --exclude='./subprojects/*/' \
      --transform "s|^\\.|diatomic-$VERSION|" -czf "$dir/subprojects/packagecache/$archive" . ||
      return 1
  fi
  cat >"$dir/subprojects/diatomic.wrap" <<EOF
[wrap-file]
directory = diatomic-$VERSION
# Never fetched: the archive is already in packagecache/, checked against
# source_hash, and Meson runs with --wrap-mode=nodownload.
source_url = https://diatomic.invalid/$archive
source_filename = $archive
source_hash = $(sha256sum "$dir/subprojects/packagecache/$archive" | cut -d' ' -f1)

[provide]
dependency_names = diatomic
EOF
  cat "$dir/subprojects/diatomic.wrap" >>"$log"
  unset PKG_CONFIG_PATH
  # Whether the test libraries are here at all (absent on a fresh root).
  dpkg-query -W -f='${Package}: ${db:Status-Abbrev}\n' libgtest-dev libbenchmark-dev libfmt-dev \
    >>"$log" 2>&1
  try "meson setup with the wrap and no -D option (--force-fallback-for=diatomic --wrap-mode=nodownload)" \
    meson setup "$dir/build" "$dir" --force-fallback-for=diatomic --wrap-mode=nodownload || return 1
  local mlog=$dir/build/meson-logs/meson-log.txt
  expect "Meson unpacked diatomic from packagecache/ and built it as a subproject" \
    bash -c "grep -q '^Using diatomic source from cache' '$mlog' &&
             grep -q '^Executing subproject diatomic' '$mlog'" || return 1
  expect "the subproject built the library only: it looked for no gtest, benchmark or fmt" \
    bash -c "! grep -iE 'dependency (gtest|gmock|benchmark|fmt)\b' '$mlog' >&2" || return 1
  try "build" ninja -C "$dir/build" || return 1
  loads_from "$dir/build/roundtrip" "$dir/build/subprojects/diatomic-$VERSION" || return 1
  run_app "$dir/build"
}

check_meson_installed() {
  local dir
  dir=$(project meson-installed meson)
  use_install
  try "meson setup with the installed library (pkg-config, --wrap-mode=nofallback)" \
    meson setup "$dir/build" "$dir" --wrap-mode=nofallback || return 1
  expect "Meson found diatomic through pkg-config" \
    grep -q "Run-time dependency diatomic found: YES $VERSION" \
    "$dir/build/meson-logs/meson-log.txt" || return 1
  try "build" ninja -C "$dir/build" || return 1
  loads_from "$dir/build/roundtrip" "$LIBPATH" "${RUN_ENV[@]}" || return 1
  run_app "$dir/build" "${RUN_ENV[@]}"
}

check_cmake() {
  local dir
  dir=$(project cmake cmake)
  unset PKG_CONFIG_PATH
  try "cmake configure ${CMAKE_FIND[*]}" \
    cmake -G Ninja -S "$dir" -B "$dir/build" "${CMAKE_FIND[@]}" -DCMAKE_CXX_COMPILER="$CXX" || return 1
  expect "find_package used $LIBPATH/cmake/diatomic, version $VERSION" \
    grep -qF -- "-- diatomic $VERSION from $LIBPATH/cmake/diatomic" "$log" || return 1
  try "build" cmake --build "$dir/build" || return 1
  loads_from "$dir/build/roundtrip" "$LIBPATH" "${RUN_ENV[@]}" || return 1
  run_app "$dir/build" "${RUN_ENV[@]}" || return 1
  # static/roundtrip, linked to diatomic::diatomic_static: libdiatomic's code
  # inside, no libdiatomic.so.
  expect "static/roundtrip (diatomic::diatomic_static) has no dynamic dependency on libdiatomic.so" \
    bash -c "! readelf -d '$dir/build/static/roundtrip' | grep -q 'libdiatomic'" || return 1
  contains_libdiatomic "$dir/build/static/roundtrip" || return 1
  run_app "$dir/build/static"
}

if [ -n "$SYSTEM" ]; then
  # The system's libdiatomic, where pkg-config finds it unaided.
  PREFIX=/usr
  RUN_ENV=()
  CMAKE_FIND=()
  step "the libdiatomic installed on the system"
  VERSION=$(pkg-config --modversion diatomic) && LIBPATH=$(pkg-config --variable=libdir diatomic) ||
    { printf 'FAIL system: pkg-config finds no diatomic on the system\n0 passed, 4 failed\n'; exit 1; }
else
  install_library 6
  RUN_ENV=(LD_LIBRARY_PATH="$LIBPATH")
  CMAKE_FIND=(-DCMAKE_PREFIX_PATH="$PREFIX")
fi
set_versions

step "consumer paths (logs in $WORK)"
[ -n "$SYSTEM" ] || path install-layout check_install_layout
path pkgconfig-shared check_pkgconfig_shared
path pkgconfig-static check_pkgconfig_static
[ -n "$SYSTEM" ] || path meson-wrap check_meson_wrap
path meson-installed check_meson_installed
path cmake check_cmake

finish

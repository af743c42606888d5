#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves that a Windows program built with MinGW-w64 can consume libdiatomic:
# cross-builds the library with cross/x86_64-w64-mingw32.ini, installs it into
# a fresh temporary prefix, then builds roundtrip.cpp against the install
# through each path and runs it under Wine:
#   install-layout    what `meson install` put where (the DLL in bin/, its
#                     import library and the static library in lib/, .pc,
#                     cmake); the static library exports nothing
#   pkgconfig-shared  g++ $(pkg-config --cflags --libs diatomic): imports the
#                     DLL, found at run time through WINEPATH
#   pkgconfig-static  g++ -static $(pkg-config --static --cflags --libs diatomic):
#                     DIATOMIC_STATIC (Cflags.private) and the Synchronization
#                     library (Libs.private); no DLL
#   cmake             find_package(diatomic CONFIG) with a MinGW-w64 toolchain
#                     file: diatomic::diatomic carries the DLL (IMPORTED_LOCATION)
#                     and its import library (IMPORTED_IMPLIB), and
#                     diatomic::diatomic_static links without the DLL
# The library (built with the cross file) and the shared consumers link the
# MinGW-w64 runtime (libstdc++, libgcc, winpthreads) as DLLs, as MinGW-w64
# does by default: WINEPATH names their directories.
# Usage: test/consumers/mingw.sh [WORKDIR]   (default: a new mktemp directory)
# The Wine prefix is WINEPREFIX if it is set and exists, else
# WORKDIR/wineprefix. Prints one line per
# path, with the reason and the log's tail on failure, and ends with
# "N passed, N failed". Exit status 0 only if all passed.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
set +e

need_packages meson ninja-build pkg-config cmake python3 g++-mingw-w64-x86-64-posix wine64

CONSUMERS=$DIATOMIC_ROOT/test/consumers
WORK=$(fresh_workdir "${1:-$(mktemp -d /tmp/diatomic-mingw.XXXXXX)}" mingw) || exit 1
PREFIX=$WORK/prefix
TRIPLET=x86_64-w64-mingw32
CXX=$TRIPLET-g++-posix
OBJDUMP=$TRIPLET-objdump
# A lost wake-up hangs roundtrip; this turns the hang into a failure.
RUN_TIMEOUT=60
EXE=.exe
RUNNER=("$WINE")

if [ -n "${WINEPREFIX:-}" ] && [ -f "$WINEPREFIX/system.reg" ]; then
  wine_prefix "$WINEPREFIX"
else
  wine_prefix "$WORK/wineprefix"
  trap wine_stop EXIT
fi

install_library 4 --cross-file "$DIATOMIC_ROOT/cross/$TRIPLET.ini"
set_versions
DLL=libdiatomic-$SOVERSION.dll

# WINEPATH: where Wine finds the DLLs a consumer loads: libdiatomic's (the
# install's bin/) and the MinGW-w64 runtime's.
RUN_ENV=(WINEPATH="$(mingw_wine_path "$PREFIX/bin")")

# imports BINARY DLL: whether BINARY's import table names DLL (grep reads
# all of objdump's output: with pipefail, grep -q could fail the pipe).
imports() {
  "$OBJDUMP" -p "$1" | grep -F "DLL Name: $2" >/dev/null
}
does_not_import() {
  ! imports "$@"
}

# exports_nothing ARCHIVE: no object of ARCHIVE carries a dllexport directive
# (-export: in its .drectve section), which a program or DLL linking it would
# obey (grep -c reads all of the output, as above).
exports_nothing() {
  [ "$("$TRIPLET-strings" -a "$1" | grep -cF -- '-export:')" = 0 ]
}

check_install_layout() {
  expect "headers under include/diatomic/" \
    test -f "$PREFIX/include/diatomic/diatomic.hpp" -a -f "$PREFIX/include/diatomic/version.hpp" || return 1
  expect "the DLL bin/$DLL" test -f "$PREFIX/bin/$DLL" || return 1
  expect "its import library libdiatomic.dll.a and the static library libdiatomic.a" \
    test -f "$LIBPATH/libdiatomic.dll.a" -a -f "$LIBPATH/libdiatomic.a" || return 1
  expect "the import library names $DLL" grep -aqF "$DLL" "$LIBPATH/libdiatomic.dll.a" || return 1
  expect "libdiatomic.a exports nothing (its objects are not the DLL's)" \
    exports_nothing "$LIBPATH/libdiatomic.a" || return 1
  expect "pkgconfig/diatomic.pc: Cflags.private -DDIATOMIC_STATIC, Libs.private -lsynchronization" \
    bash -c "grep -qE '^Cflags.private:.*-DDIATOMIC_STATIC' '$LIBPATH/pkgconfig/diatomic.pc' &&
             grep -qE '^Libs.private:.*-lsynchronization' '$LIBPATH/pkgconfig/diatomic.pc'" || return 1
  expect "cmake/diatomic/diatomicConfig.cmake and diatomicConfigVersion.cmake" \
    test -f "$LIBPATH/cmake/diatomic/diatomicConfig.cmake" -a \
    -f "$LIBPATH/cmake/diatomic/diatomicConfigVersion.cmake" || return 1
}

# The install's .pc file only, none of this (Linux) machine's.
export PKG_CONFIG_LIBDIR=$LIBPATH/pkgconfig
unset PKG_CONFIG_PATH

check_pkgconfig_shared() {
  local dir flags
  dir=$(project pkgconfig-shared "")
  flags=$(pkg-config --cflags --libs diatomic 2>>"$log") ||
    { reason="pkg-config does not find diatomic in $PKG_CONFIG_LIBDIR"; return 1; }
  # shellcheck disable=SC2086 # flags are words
  try "compile and link with: $CXX $flags" \
    "$CXX" -std=c++20 "$dir/roundtrip.cpp" -o "$dir/roundtrip.exe" $flags || return 1
  expect "roundtrip.exe imports $DLL" imports "$dir/roundtrip.exe" "$DLL" || return 1
  run_app "$dir" "${RUN_ENV[@]}"
}

check_pkgconfig_static() {
  local dir flags
  dir=$(project pkgconfig-static "")
  flags=$(pkg-config --static --cflags --libs diatomic 2>>"$log") ||
    { reason="pkg-config --static does not find diatomic in $PKG_CONFIG_LIBDIR"; return 1; }
  expect "pkg-config --static gives -DDIATOMIC_STATIC and -lsynchronization: got '$flags'" \
    bash -c "grep -q -- -DDIATOMIC_STATIC <<<'$flags' && grep -q -- -lsynchronization <<<'$flags'" ||
    return 1
  # shellcheck disable=SC2086 # flags are words
  try "static link with: $CXX -static $flags" \
    "$CXX" -std=c++20 -static "$dir/roundtrip.cpp" -o "$dir/roundtrip.exe" $flags || return 1
  expect "roundtrip.exe imports no $DLL" does_not_import "$dir/roundtrip.exe" "$DLL" || return 1
  contains_libdiatomic "$dir/roundtrip.exe" "$TRIPLET-nm" || return 1
  run_app "$dir"
}

check_cmake() {
  local dir
  dir=$(project cmake cmake)
  cat >"$dir/mingw.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_CXX_COMPILER $CXX)
EOF
  try "cmake configure with the MinGW-w64 toolchain file" \
    cmake -G Ninja -S "$dir" -B "$dir/build" -DCMAKE_TOOLCHAIN_FILE="$dir/mingw.cmake" \
    -DCMAKE_PREFIX_PATH="$PREFIX" || return 1
  expect "find_package used $LIBPATH/cmake/diatomic, version $VERSION" \
    grep -qF -- "-- diatomic $VERSION from $LIBPATH/cmake/diatomic" "$log" || return 1
  expect "diatomic::diatomic: IMPORTED_LOCATION is bin/$DLL, IMPORTED_IMPLIB lib/libdiatomic.dll.a" \
    bash -c "grep -qxF -- '-- diatomic::diatomic IMPORTED_LOCATION: $PREFIX/bin/$DLL' '$log' &&
             grep -qxF -- '-- diatomic::diatomic IMPORTED_IMPLIB: $LIBPATH/libdiatomic.dll.a' '$log'" ||
    return 1
  try "build" cmake --build "$dir/build" || return 1
  expect "roundtrip.exe (diatomic::diatomic) imports $DLL" \
    imports "$dir/build/roundtrip.exe" "$DLL" || return 1
  run_app "$dir/build" "${RUN_ENV[@]}" || return 1
  expect "static/roundtrip.exe (diatomic::diatomic_static) imports no $DLL" \
    does_not_import "$dir/build/static/roundtrip.exe" "$DLL" || return 1
  contains_libdiatomic "$dir/build/static/roundtrip.exe" "$TRIPLET-nm" || return 1
  run_app "$dir/build/static" "${RUN_ENV[@]}"
}

step "MinGW-w64 consumer paths, run under Wine (logs in $WORK)"
path install-layout check_install_layout
path pkgconfig-shared check_pkgconfig_shared
path pkgconfig-static check_pkgconfig_static
path cmake check_cmake

finish

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libdiatomic.so's ABI baseline (test/packaging/libdiatomic.abi, libabigail's
# abidw XML) is taken from one configuration, written here only: a g++
# release build with debug information (the types come from DWARF). Other
# configurations export other things (an unoptimised build emits inline
# members that an optimised one inlines), so the abidiff test (suite 'abi',
# test/packaging/meson.build) exists only in a build configured so.
# Usage: test/packaging/abi.sh build [BUILDDIR]    configure and build the library
#        test/packaging/abi.sh update [BUILDDIR]   ...and regenerate the baseline from it,
#                                                   then run the abi suite
# BUILDDIR defaults to build/abi. `update` is the one command that records a
# deliberate ABI change; commit the baseline with the change.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$DIATOMIC_ROOT"

mode=${1:-}
dir=${2:-build/abi}
case $mode in
  build | update) ;;
  *) die "usage: $0 build|update [BUILDDIR]" ;;
esac

need_build_tools
need_packages abigail-tools
# -g through cpp_args, not -Ddebug=true: the code is the release build's.
CXX=g++ configure "$dir" --buildtype=release -Dcpp_args=-g \
  -Dbenchmarks=disabled -Dexamples=disabled -Ddocs=disabled
read -r library < <(meson introspect --targets "$dir" | python3 -c '
import json, sys
print(next(t["filename"][0] for t in json.load(sys.stdin)
           if t["name"] == "diatomic" and t["type"] == "shared library"))')
build "$dir" "$(realpath --relative-to="$dir" "$library")"

if [ "$mode" = update ]; then
  step "abidw $library > test/packaging/libdiatomic.abi"
  # No paths of this machine in the baseline: no corpus or build directory,
  # no source locations.
  abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
    --out-file test/packaging/libdiatomic.abi "$library" ||
    die "abidw failed"
  meson test -C "$dir" --no-rebuild --print-errorlogs --suite abi
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves the Debian packages (debian/): builds them from a copy of the tree,
# installs them on this system, builds the consumers against the system
# install, and removes them again. One line per step:
#   deb-version    debian/changelog's version is meson.build's
#   deb-build      dpkg-buildpackage -us -uc -b: libdiatomic0.3 and libdiatomic-dev
#   lintian        lintian on the .changes reports no error (its output: lintian.log)
#   deb-install    apt-get installs both .debs
#   then the paths of `test/consumers/run.sh --system`: pkg-config (shared and
#   static), Meson's dependency('diatomic') and CMake's find_package, with no
#   search path set.
#   deb-build-arm64  dpkg-buildpackage -aarm64 -Pcross,nocheck: the arm64 packages
#   lintian-arm64    lintian on their .changes reports no error
# Usage: test/consumers/debian.sh [WORKDIR]   (default: a new mktemp directory)
# Needs root (or sudo) to install; refuses to run if libdiatomic's packages are
# already installed, so as never to remove what it did not install. Ends with
# "N passed, N failed"; exit status 0 only if all passed.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
set +e

need_packages build-essential debhelper lintian meson ninja-build g++ pkg-config cmake binutils

WORK=$(fresh_workdir "${1:-$(mktemp -d /tmp/diatomic-debian.XXXXXX)}" debian) || exit 1

passed=0
failed=0
# report NAME OK [LOG]: one line for a step; on failure, the log's last lines.
report() {
  if [ "$2" = 0 ]; then
    printf 'PASS %s\n' "$1"
    passed=$((passed + 1))
  else
    printf 'FAIL %s (log: %s)\n' "$1" "$3"
    [ -z "$3" ] || tail -n 25 "$3" | sed 's/^/  | /'
    failed=$((failed + 1))
  fi
}
finish() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ]
  exit
}

RUNTIME=libdiatomic0.3
packages=("$RUNTIME" libdiatomic-dev)
for pkg in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    printf 'FAIL deb-install: %s is already installed here; remove it first (this test installs and removes its own)\n' "$pkg"
    failed=$((failed + 1))
    finish
  fi
done

step "Debian packages (logs in $WORK)"
VERSION=$(meson introspect "$DIATOMIC_ROOT/meson.build" --projectinfo |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
deb_version=$(dpkg-parsechangelog -l "$DIATOMIC_ROOT/debian/changelog" -S Version)
printf 'meson.build: %s, debian/changelog: %s\n' "$VERSION" "$deb_version" >"$WORK/version.log"
[ "${deb_version%%-*}" = "$VERSION" ]
report deb-version $? "$WORK/version.log"

# The source tree as committed (or, outside git, as it is), without build trees.
src=$WORK/src/libdiatomic-$VERSION
mkdir -p "$src"
if git -C "$DIATOMIC_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$DIATOMIC_ROOT" archive HEAD | tar -x -C "$src"
else
  tar -C "$DIATOMIC_ROOT" --exclude=./build --exclude='./subprojects/*/' -c . | tar -x -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1
status=$?
debs=()
for pkg in "${packages[@]}"; do
  deb=$(ls "$WORK/src/${pkg}_${deb_version}_"*.deb 2>/dev/null)
  [ -n "$deb" ] || { echo "no ${pkg}_${deb_version}_*.deb" >>"$WORK/build.log"; status=1; }
  debs+=("$deb")
done
report deb-build $status "$WORK/build.log"
[ $status -eq 0 ] || finish

changes=$(ls "$WORK"/src/libdiatomic_*_"$(dpkg --print-architecture)".changes)
lintian --fail-on error "$changes" >"$WORK/lintian.log" 2>&1
status=$?
sed 's/^/  lintian: /' "$WORK/lintian.log"
report lintian $status "$WORK/lintian.log"

# Installed from here on: removed again whatever happens.
trap 'as_root dpkg --purge "${packages[@]}" >>"$WORK/install.log" 2>&1' EXIT
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${debs[@]}" >"$WORK/install.log" 2>&1
status=$?
report deb-install $status "$WORK/install.log"
[ $status -eq 0 ] || finish

"$DIATOMIC_ROOT/test/consumers/run.sh" --system "$WORK/consumers" >"$WORK/consumers.log" 2>&1
# Its lines, but its total only as part of ours.
grep -v '^[0-9]* passed, [0-9]* failed$' "$WORK/consumers.log"
if read -r ok bad < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/consumers.log"); then
  passed=$((passed + ok))
  failed=$((failed + bad))
else
  failed=$((failed + 1))
fi

# The same packages cross-built for arm64: dpkg-buildpackage -aarm64
# -Pcross,nocheck with Debian's cross g++ (crossbuild-essential-arm64);
# dpkg-shlibdeps reads the dependencies of the arm64 C and C++ runtimes, so
# those are installed through multiarch (dpkg --add-architecture arm64).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  as_root dpkg --add-architecture arm64
  unset DIATOMIC_APT_UPDATED  # apt must learn the arm64 packages
fi
need_packages crossbuild-essential-arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64
(cd "$src" && dpkg-buildpackage -aarm64 -Pcross,nocheck -us -uc -b) >"$WORK/build-arm64.log" 2>&1
status=$?
for pkg in "${packages[@]}"; do
  deb="$WORK/src/${pkg}_${deb_version}_arm64.deb"
  { [ -f "$deb" ] && dpkg-deb -f "$deb" Architecture | grep -qx arm64; } ||
    { echo "no arm64 package $deb" >>"$WORK/build-arm64.log"; status=1; }
done
report deb-build-arm64 $status "$WORK/build-arm64.log"
if [ $status -eq 0 ]; then
  lintian --fail-on error "$WORK"/src/libdiatomic_*_arm64.changes >"$WORK/lintian-arm64.log" 2>&1
  status=$?
  sed 's/^/  lintian (arm64): /' "$WORK/lintian-arm64.log"
  report lintian-arm64 $status "$WORK/lintian-arm64.log"
fi
finish

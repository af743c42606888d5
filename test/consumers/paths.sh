# SPDX-License-Identifier: MIT
# What the consumer scripts (run.sh, mingw.sh) share: each builds roundtrip.cpp
# against an install through several paths and prints one PASS/FAIL line per
# path, then "N passed, N failed" (finish). Sourced, after scripts/lib.sh.
# The script sets CONSUMERS, WORK, PREFIX and RUN_TIMEOUT, VERSION (or
# install_library does) and then calls set_versions; for run_app, the
# program's file suffix (EXE) and the command that runs it (RUNNER), if any.

passed=0
failed=0
log=/dev/null
reason=
EXE=
RUNNER=()

# try WHAT CMD...: runs CMD, appending its output to the current path's log;
# on failure records WHAT as the reason the path broke.
try() {
  local what=$1
  shift
  printf '+ %s\n' "$*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    reason=$what
    return 1
  fi
}

# expect WHAT CONDITION...: like try, for a check that prints nothing.
expect() {
  local what=$1
  shift
  printf '+ check: %s\n' "$what" >>"$log"
  "$@" >>"$log" 2>&1 || { reason=$what; return 1; }
}

# run_app DIR [VAR=VALUE...]: runs DIR/roundtrip (through RUNNER) with the
# given environment and checks its one line of output (a Windows program's
# carriage return dropped).
run_app() {
  local dir=$1
  shift
  local out status
  printf '+ %s %s %s/roundtrip%s\n' "$*" "${RUNNER[*]}" "$dir" "$EXE" >>"$log"
  out=$(env -u LD_LIBRARY_PATH "$@" timeout "$RUN_TIMEOUT" "${RUNNER[@]}" "$dir/roundtrip$EXE" 2>>"$log")
  status=$?
  out=${out//$'\r'/}
  printf '%s\n' "$out" >>"$log"
  if [ $status -eq 124 ]; then
    reason="roundtrip hung for ${RUN_TIMEOUT} s (a lost wake-up?)"
    return 1
  elif [ $status -ne 0 ]; then
    reason="roundtrip exited with status $status"
    return 1
  elif [ "$out" != "$EXPECTED_OUTPUT" ]; then
    reason="roundtrip printed '$out', expected '$EXPECTED_OUTPUT'"
    return 1
  fi
}

# contains_libdiatomic BINARY [NM]: BINARY holds libdiatomic's compiled code
# (its diatomic::this_thread::park, in whatever ABI namespace), as a static
# link does. NM: the nm that reads it (default nm).
contains_libdiatomic() {
  expect "$(basename "$(dirname "$1")")/$(basename "$1") contains libdiatomic's code (diatomic::this_thread::park)" \
    bash -c "${2:-nm} -C '$1' | grep -qE ' T diatomic::(v[0-9_]+::)?this_thread::park\(\)$'"
}

# project NAME TEMPLATE: a fresh copy of a consumer project and roundtrip.cpp.
project() {
  local dir=$WORK/$1
  mkdir -p "$dir"
  [ -z "$2" ] || cp -r "$CONSUMERS/$2/." "$dir/"
  cp "$CONSUMERS/roundtrip.cpp" "$dir/"
  printf '%s\n' "$dir"
}

# path NAME FUNCTION: runs one consumer path in a subshell and reports it.
path() {
  local name=$1 fn=$2
  log=$WORK/$name.log
  : >"$log"
  local why
  why=$(
    reason="exited early"
    if "$fn"; then exit 0; fi
    printf '%s' "$reason"
    exit 1
  )
  if [ $? -eq 0 ]; then
    printf 'PASS %s\n' "$name"
    passed=$((passed + 1))
  else
    printf 'FAIL %s: %s\n' "$name" "$why"
    printf '  last lines of %s:\n' "$log"
    tail -n 15 "$log" | sed 's/^/  | /'
    failed=$((failed + 1))
  fi
}

# install_library NPATHS [MESON OPTION...]: builds libdiatomic's library
# alone (release) and installs it into PREFIX, then sets VERSION and LIBPATH
# (PREFIX/libdir). If it does not build or install, none of the NPATHS paths
# can run: says so, counts them failed and ends the script.
install_library() {
  local npaths=$1
  shift
  step "installing libdiatomic into $PREFIX"
  log=$WORK/install.log
  if ! try "install" meson setup "$WORK/build" "$DIATOMIC_ROOT" --prefix="$PREFIX" "$@" \
    --buildtype=release -Dtests=disabled -Dbenchmarks=disabled -Dexamples=disabled -Ddocs=disabled \
    --wrap-mode=nodownload || ! try "install" ninja -C "$WORK/build" ||
    ! try "install" meson install -C "$WORK/build" --quiet; then
    tail -n 30 "$log"
    printf 'FAIL install: libdiatomic did not build or install (log: %s); no path can run\n' "$log"
    printf '0 passed, %d failed\n' "$npaths"
    exit 1
  fi
  local libdir
  read -r VERSION libdir < <(meson introspect "$WORK/build" --projectinfo --buildoptions |
    python3 -c '
import json, sys
info = json.load(sys.stdin)
libdir = next(o["value"] for o in info["buildoptions"] if o["name"] == "libdir")
print(info["projectinfo"]["version"], libdir)')
  LIBPATH=$PREFIX/$libdir
}

# set_versions: from VERSION, the SONAME's version (SOVERSION), by the
# policy of docs/guide.md: MAJOR.MINOR while the major version is 0, MAJOR
# from 1.0 on; and the line roundtrip prints (EXPECTED_OUTPUT).
set_versions() {
  local major minor
  IFS=. read -r major minor _ <<<"$VERSION"
  if [ "$major" = 0 ]; then SOVERSION=$major.$minor; else SOVERSION=$major; fi
  EXPECTED_OUTPUT="diatomic $VERSION: 1000 round trips between two threads"
}

# finish: the closing line, and the exit status (0 only if all passed).
finish() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ]
  exit
}

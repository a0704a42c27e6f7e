# shellcheck shell=bash
# What bin/sluice and bin/run-tests need before they can run anything, on a fresh Debian machine:
# a JDK >= 17 and Maven, installed with apt-get (as root, or through sudo) when missing. Sourced,
# never run; every function prints to stderr, so that a command's stdout stays its own.
#
#   sluice_require_java      # sets SLUICE_JAVA (the java to run); installs a JDK when none is found
#   sluice_check_java        # the same without installing (a release's launcher)
#   sluice_require_maven     # installs Maven when mvn is not on PATH
#   sluice_apt_install PKG…  # apt-get install, non-interactive, after one apt-get update
#   sluice_maven_progress LOG mvn-args…   # runs Maven, one line per module, full log in LOG
#
# A java that is too old is not replaced (other software may rely on it): the error says which one
# was found and how to point Sluice at a newer one.

SLUICE_MIN_JAVA=17
# Debian's JDK packages, newest supported first: bookworm has 17, trixie 21 and 25.
SLUICE_JDK_PACKAGES=(openjdk-17-jdk-headless openjdk-21-jdk-headless openjdk-25-jdk-headless)

sluice_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: installing needs root; run as root, or install it yourself: $*" >&2
    return 1
  fi
}

_sluice_apt_updated=""

sluice_apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $* must be installed, and this machine has no apt-get; install it yourself" >&2
    return 1
  fi
  echo "installing with apt-get: $*" >&2
  _sluice_apt_update || return 1
  sluice_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
    || { echo "error: apt-get could not install $*" >&2; return 1; }
  hash -r
}

# One apt-get update per run: a fresh machine's package lists are empty or stale.
_sluice_apt_update() {
  if [ -z "$_sluice_apt_updated" ]; then
    sluice_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
      || { echo "error: apt-get update failed" >&2; return 1; }
    _sluice_apt_updated=1
  fi
}

# The java to check: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH.
_sluice_find_java() {
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java 2>/dev/null || true
  fi
}

# Prints the version string of `java -version` ("17.0.9", "1.8.0_392", "21"), or nothing.
sluice_java_version() {
  local out
  out="$("$1" -version 2>&1)" || true
  printf '%s\n' "$out" | sed -n 's/^[^"]* version "\([^"]*\)".*/\1/p' | sed -n 1p
}

# The feature release of a version string: 8 for "1.8.0_392", 17 for "17.0.9" or "17-ea".
sluice_java_major() {
  local v="$1"
  case "$v" in
    1.*) v="${v#1.}" ;;
  esac
  v="${v%%[!0-9]*}"
  echo "${v:-0}"
}

# The first JDK package this machine's apt sources offer.
_sluice_jdk_package() {
  local p
  for p in "${SLUICE_JDK_PACKAGES[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# Finds a java >= 17 without installing anything (a release's launcher): sets SLUICE_JAVA, or says
# what was found and how to fix it.
sluice_check_java() {
  local java version major
  java="$(_sluice_find_java)"
  if [ -z "$java" ] || [ ! -x "$java" ]; then
    if [ -n "${JAVA_HOME:-}" ]; then
      echo "error: JAVA_HOME=$JAVA_HOME has no bin/java; point JAVA_HOME at a Java $SLUICE_MIN_JAVA or newer, or unset it" >&2
    else
      echo "error: no java on PATH; Sluice needs Java $SLUICE_MIN_JAVA or newer (Debian: apt-get install openjdk-17-jre-headless), or set JAVA_HOME" >&2
    fi
    return 1
  fi
  version="$(sluice_java_version "$java")"
  major="$(sluice_java_major "$version")"
  if [ "$major" -lt "$SLUICE_MIN_JAVA" ]; then
    echo "error: Sluice needs Java $SLUICE_MIN_JAVA or newer, and $java is Java ${version:-of unknown version}." >&2
    echo "  Install one (Debian: apt-get install ${SLUICE_JDK_PACKAGES[0]}) and either make it the default" >&2
    echo "  (update-alternatives --config java) or run with JAVA_HOME set to it" >&2
    echo "  (e.g. JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64)." >&2
    return 1
  fi
  SLUICE_JAVA="$java"
  export SLUICE_JAVA
}

# Like sluice_check_java, but installs a JDK first when there is no java at all (and JAVA_HOME is
# not set: a JAVA_HOME that points nowhere is a mistake to report, not to paper over).
sluice_require_java() {
  local package
  if [ -z "$(_sluice_find_java)" ] && [ -z "${JAVA_HOME:-}" ]; then
    echo "no java found: installing a JDK $SLUICE_MIN_JAVA or newer" >&2
    if command -v apt-get >/dev/null 2>&1; then
      _sluice_apt_update || return 1
    fi
    package="$(_sluice_jdk_package)" || {
      echo "error: no JDK package (${SLUICE_JDK_PACKAGES[*]}) is available from apt; install a JDK $SLUICE_MIN_JAVA or newer and set JAVA_HOME" >&2
      return 1
    }
    sluice_apt_install "$package" || return 1
  fi
  sluice_check_java
}

sluice_require_maven() {
  if command -v mvn >/dev/null 2>&1; then
    return 0
  fi
  echo "no Maven (mvn) found: installing it" >&2
  sluice_apt_install maven || return 1
  command -v mvn >/dev/null 2>&1 || {
    echo "error: maven is installed but mvn is still not on PATH" >&2
    return 1
  }
}

# Runs Maven with "$@", keeping its whole output in the file $1 and showing one line per module as
# the build reaches it (and that dependencies are being downloaded, which takes most of a first
# build). On failure the log's errors are shown. Returns Maven's exit code.
sluice_maven_progress() {
  local log="$1"
  shift
  local started=$SECONDS status
  mkdir -p "$(dirname "$log")"
  # Maven's exit code through a file: the pipeline's own status is the filter's.
  { status=0; mvn -B -Dstyle.color=never "$@" 2>&1 || status=$?; echo "$status" >"$log.exit"; } \
    | tee "$log" | _sluice_progress_filter
  status="$(cat "$log.exit")"
  rm -f "$log.exit"
  if [ "$status" -ne 0 ]; then
    echo "error: the build failed (exit $status); its errors:" >&2
    grep -E '^\[ERROR\]' "$log" | head -n 40 >&2 || true
    echo "  (whole log: $log)" >&2
  else
    echo "built in $((SECONDS - started)) s (log: $log)" >&2
  fi
  return "$status"
}

# Maven's output to one line per module: "[2/9] Sluice security".
_sluice_progress_filter() {
  local line fetching=""
  local module='^\[INFO\] Building (.+) [^ ]+ +\[([0-9]+/[0-9]+)\]$'
  local download='^\[INFO\] Download(ing|ed) from '
  while IFS= read -r line; do
    if [[ "$line" =~ $module ]]; then
      echo "  [${BASH_REMATCH[2]}] ${BASH_REMATCH[1]}" >&2
      fetching=""
    elif [[ "$line" =~ $download && -z "$fetching" ]]; then
      echo "        downloading dependencies and plugins (first build only)…" >&2
      fetching=1
    fi
  done
}

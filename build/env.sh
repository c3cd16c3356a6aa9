# Sourced by the build scripts: one-time machine setup they rely on.
# - cargo: where the crates registry is unreachable, ../shared/vendor/use-offline.sh
#   (beside the repository) points cargo at the vendored crates; done once per machine.
# - system packages the tests use (valgrind, chromium, redis-server, python3-prometheus-client),
#   installed with apt-get when missing and possible.

psws_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
psws_vendor="$psws_root/../shared/vendor/use-offline.sh"
if [ -f "$psws_vendor" ] && ! grep -qs 'use-offline.sh: vendored crates' "${CARGO_HOME:-$HOME/.cargo}/config.toml"; then
    bash "$psws_vendor"
fi

# psws_apt_install PKG...: installs Debian packages, or explains what to install.
psws_apt_install() {
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "missing: $* (install them, e.g. apt-get install $*)" >&2
        return 1
    fi
}

# psws_require_packages CMD...: installs the packages named like the missing commands.
psws_require_packages() {
    local missing=()
    for pkg in "$@"; do
        command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] || psws_apt_install "${missing[@]}"
}

# psws_require_python_module MODULE PKG: installs PKG unless the system Python
# (/usr/bin/python3, where Debian's python3-* packages go) imports MODULE.
psws_require_python_module() {
    /usr/bin/python3 -c "import $1" >/dev/null 2>&1 || psws_apt_install "$2"
}

# Shared by the scripts: installs what the build needs, builds, installs the bundled plugins.
# Sourced, not run.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian packages the build links against. Only missing ones are installed.
APT_PACKAGES=(libopenblas-serial-dev libseccomp-dev)

ensure_system_packages() {
    local missing=()
    for p in "${APT_PACKAGES[@]}" "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${missing[*]} (apt)" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Extra tools the test suite uses: strace simulates a kernel without Landlock,
# script(1) (bsdutils) gives the progress display a terminal.
TEST_APT_PACKAGES=(strace bsdutils)

# The Python side of the interoperability tests (safetensors files must load in Python).
# Best effort: without Python those tests skip with a message.
ensure_python_packages() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c "import safetensors, numpy" 2>/dev/null && return 0
    python3 -m pip install -q safetensors numpy >/dev/null 2>&1 || echo "note: could not install safetensors for Python; its interop tests will be skipped" >&2
}

# Installs the bundled plugins and the sandbox policy next to the binaries of a
# build configuration, where feature-extractor looks for them by default.
install_plugins() {
    local bin="$1"
    rm -rf "$bin/Policies"
    cp -R "$REPO/Policies" "$bin/Policies"
    for spec in Encoders/ANN:fe-encoder-ann Decoders/ANN:fe-decoder-ann; do
        "$bin/feature-extractor" plugin install --manifest "$REPO/Plugins/${spec%%:*}/plugin.json" \
            --executable "$bin/${spec##*:}" --into "$bin/plugins" >/dev/null
    done
}

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
# script(1) (bsdutils) gives the progress display a terminal, sqlite3 tampers with
# the audit log the way an attacker with the file would, openssl makes the test
# servers' certificates.
TEST_APT_PACKAGES=(strace bsdutils sqlite3 openssl)

# The Python side of the interoperability tests (safetensors files must load in Python).
# Best effort: without Python those tests skip with a message.
ensure_python_packages() {
    command -v python3 >/dev/null 2>&1 || return 0
    # Exactly the reviewed versions, hash-checked (SupplyChain/python-requirements.txt).
    python3 -m pip install -q --disable-pip-version-check --require-hashes --only-binary=:all: --no-deps \
        -r "$REPO/SupplyChain/python-requirements.txt" >/dev/null 2>&1 \
        || echo "note: could not install the pinned safetensors/numpy; the Python interop tests will be skipped" >&2
}

# The tool's home (same rule as the Swift code): database, audit key, local signing key.
fe_home() {
    if [ -n "${FEATURE_EXTRACTOR_HOME:-}" ]; then echo "$FEATURE_EXTRACTOR_HOME"; return; fi
    case "${XDG_DATA_HOME:-}" in
        /*) echo "$XDG_DATA_HOME/feature-extractor" ;;  # a relative XDG_DATA_HOME is ignored
        *) echo "$HOME/.local/share/feature-extractor" ;;
    esac
}

# The machine's own signing key: created (0600) and trusted on first use. It signs
# the bundled plugins at install and the models this machine saves.
ensure_local_key() {
    local bin="$1" key
    key="$(fe_home)/keys/local.key"
    if [ ! -f "$key" ]; then
        "$bin/feature-extractor" keys generate --name local --trust >/dev/null
    elif ! "$bin/feature-extractor" keys list | grep -q "$(sed -n 's/.*"id" *: *"\([0-9a-f]*\)".*/\1/p' "$key.pub")"; then
        # A key without its trust entry (a new database): trust it again. A revoked key stays revoked.
        "$bin/feature-extractor" keys trust "$key.pub" >/dev/null
    fi
    echo "$key"
}

# Every bundled plugin's manifest, one path a line. The manifests are the list of plugins:
# adding a family (Plugins/Encoders/<Family>/, Plugins/Decoders/<Family>/) adds it everywhere.
bundled_manifests() {
    local manifest
    for manifest in "$REPO"/Plugins/Encoders/*/plugin.json "$REPO"/Plugins/Decoders/*/plugin.json; do
        [ -f "$manifest" ] && echo "$manifest"
    done
    return 0
}

# The executable a plugin manifest names (its "executable" member).
plugin_executable() {
    sed -n 's/^ *"executable" *: *"\([^"]*\)".*/\1/p' "$1"
}

# Installs the bundled plugins (signed with the local key) and the sandbox policy next
# to the binaries of a build configuration, where feature-extractor looks by default.
install_plugins() {
    local bin="$1" key
    rm -rf "$bin/Policies"
    cp -R "$REPO/Policies" "$bin/Policies"
    key="$(ensure_local_key "$bin")"
    local manifest manifests
    mapfile -t manifests < <(bundled_manifests)
    for manifest in "${manifests[@]}"; do
        "$bin/feature-extractor" plugin install --manifest "$manifest" \
            --executable "$bin/$(plugin_executable "$manifest")" --into "$bin/plugins" --sign-with "$key" >/dev/null
    done
}

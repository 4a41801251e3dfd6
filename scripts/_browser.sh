#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser), installed once. Playwright drives this browser;
# it never downloads one of its own. Without root (or apt-get), the browser tests skip and say why.
# Usable as `. scripts/_browser.sh; ensure_browser` or run directly.
ensure_browser() {
    if [ -x /usr/bin/chromium ]; then
        return 0
    fi
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "note: /usr/bin/chromium is missing and this user cannot apt-get install it; browser tests will be skipped." >&2
        return 0
    fi
    echo "installing Debian's chromium for the browser tests…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji fonts-noto-cjk >/dev/null \
        || echo "warning: apt-get could not install chromium; browser tests will be skipped." >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ensure_browser
fi

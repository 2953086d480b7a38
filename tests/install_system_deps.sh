#!/usr/bin/env bash
# Install the Debian packages the tests need, when they are missing:
#   graphviz  - the `dot` program that renders plots (tests/test_plot.py, notebooks, examples)
#   chromium  - the headless browser that tests/test_browser.py drives with Playwright
# Quick and idempotent: when everything is present it does nothing; `apt-get update` runs only
# when something must be installed. Without root or apt-get it says what is missing and exits 0
# (the tests that need a package then skip, naming it).
set -euo pipefail

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_system_deps: missing ${missing[*]}; install them with your package manager" \
         "(e.g. apt-get install ${missing[*]}, brew install graphviz); the tests that need them will skip" >&2
    exit 0
fi

echo "install_system_deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null

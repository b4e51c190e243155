#!/usr/bin/env bash
# Chromium for the browser test of `invgen serve` (tests/system/test_page.py): Debian's package, installed
# when missing and this is root with apt-get; otherwise the test is skipped with its reason. Never fails.
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "could not install chromium: the browser test will be skipped"
else
    echo "no chromium (Debian: apt-get install chromium): the browser test will be skipped"
fi
exit 0

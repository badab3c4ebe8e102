#!/bin/sh
# Chromium for the browser tests, from Debian, said before it is done: which packages apt-get
# would install and which installed ones it would upgrade, then the install itself
# (--no-install-recommends keeps it to what Chromium needs).
set -e
[ -x /usr/bin/chromium ] && exit 0
echo "make e2e needs Chromium at /usr/bin/chromium; it is missing."
if [ "$(id -u)" != 0 ]; then
    echo "Install it as root, then run make e2e again:"
    echo "    apt-get update && apt-get install --no-install-recommends chromium"
    exit 1
fi
apt-get update -qq
plan=$(apt-get install -s --no-install-recommends chromium | grep '^Inst ' || true)
# An upgrade reads "Inst name [installed version] (new version ...)", a new package has no [].
new=$(echo "$plan" | awk '$1 == "Inst" && $3 !~ /^\[/ {print "    " $2}')
upgrades=$(echo "$plan" | awk '$1 == "Inst" && $3 ~ /^\[/ {print "    " $2 " " $3}')
echo "apt-get will install $(echo "$new" | grep -c . || true) new package(s):"
echo "$new"
if [ -n "$upgrades" ]; then
    echo "and upgrade these installed ones (from the version in brackets):"
    echo "$upgrades"
fi
echo "Installing (Ctrl-C within 5 seconds to stop)..."
sleep 5
apt-get install -y --no-install-recommends chromium

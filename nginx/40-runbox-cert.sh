#!/bin/sh
# Runs before nginx starts (docker-entrypoint.d): with no certificate at RUNBOX_TLS_CERT,
# make a self-signed one there so HTTPS works on the first start. A real certificate (Let's
# Encrypt, mounted and pointed to by RUNBOX_TLS_CERT/RUNBOX_TLS_KEY) is left alone.
set -eu
if [ ! -s "$RUNBOX_TLS_CERT" ] || [ ! -s "$RUNBOX_TLS_KEY" ]; then
  dir=$(dirname "$RUNBOX_TLS_CERT")
  runbox-make-cert "$dir" "${RUNBOX_SERVER_NAME%% *}"
fi

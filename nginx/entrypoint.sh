#!/bin/sh
# Starts nginx in front of runbox: renders every /etc/nginx/templates/*.template into
# /etc/nginx/conf.d with the RUNBOX_* variables of the environment (only those: nginx's own
# $variables stay as they are), then, with no certificate at RUNBOX_TLS_CERT, makes a
# self-signed one there so HTTPS works on the first start. A real certificate (Let's Encrypt,
# mounted and pointed to by RUNBOX_TLS_CERT/RUNBOX_TLS_KEY) is left alone.
set -eu
names=$(env | sed -n 's/^\(RUNBOX_[A-Z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
  out=/etc/nginx/conf.d/$(basename "$template" .template)
  envsubst "$names" < "$template" > "$out"
  if grep -q '\${RUNBOX_[A-Z0-9_]*}' "$out"; then
    echo "runbox-nginx: $(grep -o '\${RUNBOX_[A-Z0-9_]*}' "$out" | sort -u | tr '\n' ' ')not set" >&2
    exit 1
  fi
done
if [ ! -s "$RUNBOX_TLS_CERT" ] || [ ! -s "$RUNBOX_TLS_KEY" ]; then
  runbox-make-cert "$(dirname "$RUNBOX_TLS_CERT")" "${RUNBOX_SERVER_NAME%% *}"
fi
exec "$@"

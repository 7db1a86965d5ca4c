#!/bin/sh
# Starts nginx in front of runbox: renders every /etc/nginx/templates/*.template into
# /etc/nginx/conf.d with the RUNBOX_* variables of the environment (only those: nginx's own
# $variables stay as they are), then, with no certificate at RUNBOX_TLS_CERT, makes a
# self-signed one there so HTTPS works on the first start. A real certificate (Let's Encrypt,
# mounted and pointed to by RUNBOX_TLS_CERT/RUNBOX_TLS_KEY) is left alone.
set -eu
# The public HTTPS port as a suffix of redirects and of the host the API builds share links
# and checks live runs' origins with: none for 443 (compose passes the port it publishes)
if [ -z "${RUNBOX_HTTPS_REDIRECT_PORT+set}" ]; then
  case "${RUNBOX_PUBLIC_HTTPS_PORT:-443}" in
    443) RUNBOX_HTTPS_REDIRECT_PORT= ;;
    *) RUNBOX_HTTPS_REDIRECT_PORT=":$RUNBOX_PUBLIC_HTTPS_PORT" ;;
  esac
  export RUNBOX_HTTPS_REDIRECT_PORT
fi
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

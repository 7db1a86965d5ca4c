#!/bin/sh
# Makes a private CA and a TLS certificate signed by it, for when no real certificate is
# given: nginx starts with HTTPS at once, and clients can verify against ca.crt.
#   scripts/make-cert.sh DIR [HOSTNAME]   -> DIR/ca.crt DIR/fullchain.pem DIR/privkey.pem
# Does nothing when DIR/fullchain.pem exists (a real certificate, or one made earlier).
set -eu
dir=${1:?usage: make-cert.sh DIR [HOSTNAME]}
host=${2:-localhost}
[ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ] && exit 0
mkdir -p "$dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=runbox local CA" \
  -keyout "$work/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" \
  -keyout "$dir/privkey.pem" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$host" > "$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$dir/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -CAserial "$work/ca.srl" \
  -days 825 -extfile "$work/ext" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/ca.crt" "$dir/fullchain.pem"
echo "make-cert: self-signed certificate for $host in $dir (trust $dir/ca.crt)" >&2

#!/usr/bin/env bash
# Makes a throwaway certificate authority, a server certificate for localhost/127.0.0.1/::1,
# and device (client) certificates, for tests and demos. Never for production.
#
#   scripts/make-certs.sh DIR [DEVICE...]
#
# Writes DIR/ca.{crt,key}, DIR/server.{crt,key} and DIR/<device>.{crt,key} for each DEVICE
# (its certificate's subject CN is the device name). Keys are 0600. Uses openssl only.
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR [DEVICE...]}
shift
mkdir -p "$dir"
cd "$dir"
umask 077
days=30

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=telemdb test CA" -keyout ca.key -out ca.crt 2>/dev/null

sign() {  # name subject extensions
  local name=$1 subj=$2 ext=$3
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign server "/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
for device in "$@"; do
  sign "$device" "/CN=$device" "extendedKeyUsage=clientAuth"
done
chmod 0644 ./*.crt
echo "certificates in $dir: ca.crt server.crt $(printf '%s.crt ' "$@")"

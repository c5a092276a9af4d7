#!/bin/sh
# Generates a throw-away TEST PKI for running the bridge against the SMSP simulator
# (deploy/compose.yaml's `certs` service; also usable by hand). Never use it for a real SMSP.
#
#   gen-test-pki.sh [--force] DIR
#
# Writes, with the file names `smsp-bridge sim --cert-dir` uses (src/pki.rs):
#   DIR/ca.pem       CA certificate: the simulator's --client-ca and the bridge's smsp.ca_cert
#   DIR/server.pem   simulator certificate (EKU serverAuth), SANs from $SMSP_TEST_PKI_SANS
#   DIR/server.key   its key (PKCS#8, mode 0600)
#   DIR/client.pem   bridge certificate (EKU clientAuth): smsp.client_cert
#   DIR/client.key   its key (PKCS#8, mode 0600): smsp.client_key
#
# Why not `smsp-bridge sim --cert-dir`: that certificate's SANs are only localhost/127.0.0.1,
# and in compose the bridge reaches the simulator as `sim`, so rustls would reject it.
#
# Keys are ECDSA P-256. The CA key is deleted once both leaves are signed, as src/pki.rs does.
# An existing set is kept when it is complete, the server certificate is valid for another
# day and carries the requested SANs; --force regenerates regardless.
#
# Environment:
#   SMSP_TEST_PKI_SANS   subjectAltName of the server certificate
#                        (default: DNS:sim,DNS:localhost,IP:127.0.0.1)
#   SMSP_TEST_PKI_DAYS   validity in days (default: 365)
set -eu

force=0
if [ "${1:-}" = "--force" ]; then
    force=1
    shift
fi
if [ $# -ne 1 ]; then
    echo "usage: $0 [--force] DIR" >&2
    exit 2
fi
dir=$1
sans=${SMSP_TEST_PKI_SANS:-DNS:sim,DNS:localhost,IP:127.0.0.1}
days=${SMSP_TEST_PKI_DAYS:-365}

command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 2; }
mkdir -p "$dir"

complete=1
for f in ca.pem server.pem server.key client.pem client.key; do
    [ -s "$dir/$f" ] || complete=0
done
if [ "$force" -eq 0 ] && [ "$complete" -eq 1 ] \
    && openssl x509 -in "$dir/server.pem" -noout -checkend 86400 >/dev/null 2>&1 \
    && [ "$(openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName 2>/dev/null \
            | tail -n 1 | tr -d ' ' | sed 's/IPAddress:/IP:/g')" = "$sans" ]; then
    echo "test PKI in $dir is present and valid; keeping it (use --force to regenerate)"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
umask 077

serial() { echo "0x$(openssl rand -hex 16)"; }

# CA: may sign end-entity certificates only (pathlen 0).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
openssl req -new -x509 -key "$work/ca.key" -days "$days" -sha256 -set_serial "$(serial)" \
    -subj "/O=smsp-bridge (test only)/CN=SMSP Bridge Test CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$work/ca.pem"

# leaf NAME CN EKU [SAN]
leaf() {
    name=$1 cn=$2 eku=$3 san=${4:-}
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$name.key" 2>/dev/null
    openssl req -new -key "$work/$name.key" -subj "/O=smsp-bridge (test only)/CN=$cn" \
        -out "$work/$name.csr"
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=$eku"
        echo "subjectKeyIdentifier=hash"
        echo "authorityKeyIdentifier=keyid"
        if [ -n "$san" ]; then echo "subjectAltName=$san"; fi
    } >"$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -set_serial "$(serial)" -days "$days" -sha256 -extfile "$work/$name.ext" \
        -out "$work/$name.pem" 2>/dev/null
    openssl verify -CAfile "$work/ca.pem" -purpose "$( [ "$eku" = serverAuth ] && echo sslserver || echo sslclient )" \
        "$work/$name.pem" >/dev/null
}
leaf server localhost serverAuth "$sans"
leaf client "smsp-bridge test client" clientAuth

# Certificates world-readable, keys owner-only; then move into place.
chmod 0644 "$work/ca.pem" "$work/server.pem" "$work/client.pem"
chmod 0600 "$work/server.key" "$work/client.key"
for f in ca.pem server.pem server.key client.pem client.key; do
    mv -f "$work/$f" "$dir/$f"
done
echo "generated a TEST PKI in $dir (server SANs: $sans); never use it outside tests"

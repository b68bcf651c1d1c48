#!/bin/sh
# Makes the test certificates with the openssl command, into DIR (default build/certs).
#   ca.pem/ca.key                 the trusted CA (ECDSA P-256)
#   server.pem/server.key         RSA 2048 leaf for localhost and 127.0.0.1, by ca
#   server-ec.pem/server-ec.key   ECDSA P-256 leaf for localhost and 127.0.0.1, by ca
#   client.pem/client.key         client-auth leaf (CN=tlshs test client), by ca
#   wrongname.pem/wrongname.key   leaf for wrong.example only, by ca
#   unknown-ca.pem/.key           a CA nobody trusts
#   unknown.pem/unknown.key       leaf for localhost, by unknown-ca
#   unknown-client.pem/.key       client leaf by unknown-ca
# Idempotent: does nothing when DIR/.done exists. No key is ever committed.
set -eu
DIR=${1:-build/certs}
[ -f "$DIR/.done" ] && exit 0
mkdir -p "$DIR"
cd "$DIR"
umask 077
days=3650

ca() { # name subject
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -keyout "$1.key" -out "$1.pem" -days $days -subj "/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # name keytype(rsa|ec) subject san eku issuer
    if [ "$2" = rsa ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null
    else
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
    fi
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' \
        "$5" "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$6.pem" -CAkey "$6.key" -CAcreateserial \
        -days $days -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca "tlshs test CA"
ca unknown-ca "tlshs unknown CA"
san="subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf server rsa localhost "$san" serverAuth ca
leaf server-ec ec localhost "$san" serverAuth ca
leaf client ec "tlshs test client" "subjectAltName=DNS:client.test" clientAuth ca
leaf wrongname rsa wrong.example "subjectAltName=DNS:wrong.example" serverAuth ca
leaf unknown rsa localhost "$san" serverAuth unknown-ca
leaf unknown-client ec "tlshs unknown client" "subjectAltName=DNS:client.test" clientAuth unknown-ca
rm -f ./*.srl
chmod 644 ./*.pem ./*.key
touch .done

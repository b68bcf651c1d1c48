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
#   ocsp-server.der               an OCSP response (good, 30 days) for server.pem, signed by ca
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
# An OCSP response for server.pem, from an index that says it is good, signed
# by the CA itself (as a responder may be), valid 30 days.
serial=$(openssl x509 -in server.pem -noout -serial | cut -d= -f2)
printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$(date -u -d "+$days days" +%y%m%d%H%M%SZ)" "$serial" > ocsp-index.txt
openssl ocsp -index ocsp-index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -issuer ca.pem \
    -cert server.pem -respout ocsp-server.der -ndays 30 >/dev/null 2>&1
rm -f ocsp-index.txt
rm -f ./*.srl
chmod 644 ./*.pem ./*.key ./*.der
touch .done

#!/usr/bin/env bash
# Writes the secret files docker-compose.prod.yml mounts, into deploy/secrets/ (git-ignored):
# random database passwords and the URLs that use them, a P-256 (ES256) JWT signing key in
# PKCS#8 PEM, the admin account and Grafana's admin password. Existing files are kept, so
# running it again never rotates a secret by accident (delete a file to regenerate it).
#
#   ADMIN_EMAIL=ops@shop.example.com deploy/generate-secrets.sh      (or: make secrets)
set -euo pipefail
cd "$(dirname "$0")/secrets"
# The directory keeps other host users out; the files stay readable inside the containers,
# whose non-root user is not the host's (compose bind-mounts file secrets as they are).
chmod 700 .

write() { # name, command printing the value
  if [ -s "$1" ]; then echo "kept    deploy/secrets/$1"; return; fi
  (umask 022; "${@:2}" > "$1.tmp" && mv "$1.tmp" "$1")
  echo "created deploy/secrets/$1"
}
random() { node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))'; }
database_url() { # subgraph: postgres://<name>:<password>@<name>-db:5432/<name>
  printf 'postgres://%s:%s@%s-db:5432/%s' "$1" "$(cat "$1_db_password")" "$1" "$1"
}

write users_db_password random
write orders_db_password random
write users_database_url database_url users
write orders_database_url database_url orders
write jwt_private_key node -e 'process.stdout.write(require("node:crypto").generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }))'
write admin_email printf '%s' "${ADMIN_EMAIL:-admin@example.com}"
write admin_password random
write grafana_admin_password random

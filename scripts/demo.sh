#!/bin/sh
# scripts/demo.sh - set up a fresh Debian 12 machine and run a demo node.
# Installs dependencies, builds mreza, creates a node with the demo community in
# ./demo-node (SQLite) on first run, prints the demo API keys (one per role) and
# serves the API on http://127.0.0.1:8470/ until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -s -j"$(nproc)"
DATA=${MREZA_DEMO_DATA:-./demo-node}
LISTEN=${MREZA_LISTEN:-127.0.0.1:8470}
if [ ! -f "$DATA/mreza.db" ]; then
    ./build/mreza init --demo --data "$DATA"
else
    echo "demo node already initialised in $DATA; its demo API keys:"
    sed 's/^/  /' "$DATA/demo-keys.txt"
fi
echo
echo "try:  curl -H \"Authorization: Bearer <analyst key>\" http://$LISTEN/api/v1/objects?limit=5"
exec ./build/mreza serve --data "$DATA" --listen "$LISTEN"

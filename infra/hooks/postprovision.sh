#!/bin/sh
# azd runs this after every `azd provision` (and `azd up`), with the Bicep outputs in the
# environment. As the database's Microsoft Entra administrator (you, signed in to azd or az):
# map the function app's identity to a database role, grant it what the local app role has,
# apply the pending migrations. Safe to run again. Prod: run it from a machine inside the
# virtual network (the database has no public endpoint); DEPLOYMENT.md.
set -eu
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m deploy.database

# Windows twin of postprovision.sh: the same steps, the same Python module.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..' '..')
if (-not (Test-Path .venv/Scripts/python.exe)) { python -m venv .venv }
.venv/Scripts/python.exe -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/Scripts/python.exe -m deploy.database
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

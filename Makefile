# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-citus e2e bench load mutate migrate timer index ops fuzz clean

CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# checkov (the Bicep policy checks in tests/infra) in a virtual environment of its own: it pins
# packaging<24, which pytest 9 cannot share. Only the tests need it.
$(CHECKOV_STAMP): $(STAMP) requirements-infra.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-infra.txt
	touch $(CHECKOV_STAMP)

run: $(STAMP)  ## the product on http://127.0.0.1:7071 (PORT overrides), embedded PostgreSQL unless DATABASE_URL; STRIPE=fake for billing against a local fake of Stripe
	$(PY) -m local serve $(if $(filter fake,$(STRIPE)),--stripe-fake)

test: $(STAMP) $(CHECKOV_STAMP)  ## the test suite on real PostgreSQL (TEST_DATABASE_URL, else 127.0.0.1:5432, else embedded); Citus apart: make test-citus
	$(PY) -m pytest --ignore=tests/citus

test-citus: $(STAMP)  ## only tests/citus: a throwaway three-node Citus cluster on free ports (Citus installed from ../shared/citus when missing: root), or CITUS_TEST_URL's coordinator
	$(PY) -m pytest tests/citus

E2E_STAMP := $(VENV)/.installed-e2e

$(E2E_STAMP): $(STAMP) requirements-e2e.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-e2e.txt
	touch $(E2E_STAMP)

e2e: $(E2E_STAMP)  ## browser tests of web/ with Playwright and the system's Chromium (not part of `make test`); screenshots of every main screen at 1440 and 390 px in .local/e2e-screenshots
	sh e2e/install_chromium.sh  # says what apt-get would install before it does
	E2E_SCREENSHOTS=$${E2E_SCREENSHOTS:-.local/e2e-screenshots} $(PY) -m pytest e2e -q

MUTATE_STAMP := $(VENV)/.installed-mutate

$(MUTATE_STAMP): $(STAMP) requirements-mutate.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-mutate.txt
	touch $(MUTATE_STAMP)

WORKERS ?= 1

mutate: $(MUTATE_STAMP)  ## mutation testing, kill rate per module (MODULE=shared/phi.py for some, WORKERS=2 to share its mutants); not part of `make test`
	nice -n 10 $(PY) -m mutate --workers $(WORKERS) $(MODULE)

FUZZ_EXAMPLES ?= 40

fuzz: $(STAMP)  ## schemathesis, every operation and check, FUZZ_EXAMPLES per operation and phase (FUZZ_SEED to replay); prints the number of cases and writes it to BENCHMARKS.md
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/functions/test_fuzz.py -q -s -p no:cacheprovider

bench: $(STAMP)  ## benchmarks: ratios against floors measured in the same run (tenant scale on Citus too where it can run); figures to BENCHMARKS.md
	$(PY) -m bench

load: $(STAMP)  ## a mixed workload against the local host in another process (LOAD_SECONDS=60, LOAD_USERS=8); figures to BENCHMARKS.md
	$(PY) -m load

migrate: $(STAMP)  ## provision the local database and apply the migrations
	$(PY) -m local migrate

timer: $(STAMP)  ## run a timer function now: make timer NAME=purge_old_records
	$(PY) -m local timer $(NAME)

index: $(STAMP)  ## write functions/index.py (the functions function_app registers) from the blueprints of functions/
	$(PY) -m local index

ops: $(STAMP)  ## the operator's commands: make ops ARGS="list" (python -m ops --help)
	$(PY) -m ops $(ARGS)

clean:
	rm -rf .local $(VENV)

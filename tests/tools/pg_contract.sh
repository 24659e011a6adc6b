#!/usr/bin/env bash
# ctest store.postgresql: the Store contract's PostgreSQL instances (and the PostgreSQL migration
# tests) against the server scripts/with-postgres.sh started (GLIA_TEST_PG_URL). Fails when the
# filter selects no test or any test is skipped, so a missing server can never pass unnoticed.
#   pg_contract.sh UNIT_TEST_BINARY
set -uo pipefail
bin=$1
if [[ -z ${GLIA_TEST_PG_URL:-} ]]; then
  echo "pg_contract.sh: GLIA_TEST_PG_URL is not set (run it through scripts/with-postgres.sh)" >&2
  exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" --gtest_filter='*/postgresql*:Postgres*' 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' "$out" | tail -1)
if [[ $rc -ne 0 ]]; then exit "$rc"; fi
if [[ -z $ran || $ran -eq 0 ]]; then
  echo "pg_contract.sh: no PostgreSQL test ran" >&2
  exit 1
fi
if grep -q '^\[  SKIPPED \]' "$out"; then
  echo "pg_contract.sh: PostgreSQL tests were skipped" >&2
  exit 1
fi
# Every contract suite has its PostgreSQL instances (a suite left out of kStores would not).
for suite in StoreContract StoreJobs StoreSweeps StoreModels StoreDatasets StoreEnvironments \
  StoreConcurrency StoreEndpoints; do
  if ! grep -q "^\[       OK \] AllStores/$suite\..*/postgresql" "$out"; then
    echo "pg_contract.sh: no PostgreSQL test of $suite ran" >&2
    exit 1
  fi
done
echo "pg_contract.sh: $ran PostgreSQL tests passed"

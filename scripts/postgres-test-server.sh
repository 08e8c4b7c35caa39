#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL, creates the role and database the tests use, and
# prints their SQLAlchemy URL (.ci/run exports it as SLEEPCOT_TEST_POSTGRES_URL).
# Idempotent: safe to run repeatedly. Must run as root.
set -euo pipefail
PGROLE=${PGROLE:-sleepcot}
PGPASS=${PGPASS:-sleepcot}
PGDB=${PGDB:-sleepcot_test}
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
PGVER=$(ls /etc/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main"' | grep -q .; then
    pg_createcluster "$PGVER" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main" && $4=="online"' | grep -q .; then
    pg_ctlcluster "$PGVER" main start
fi
for _ in $(seq 1 30); do
    su postgres -c "pg_isready -q -h 127.0.0.1 -p 5432" && break
    sleep 1
done
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PGROLE'\"" | grep -q 1; then
    su postgres -c "psql -q -c \"CREATE ROLE $PGROLE LOGIN PASSWORD '$PGPASS' SUPERUSER\""
fi
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$PGDB'\"" | grep -q 1; then
    su postgres -c "createdb -O $PGROLE $PGDB"
fi
echo "postgresql+psycopg://$PGROLE:$PGPASS@127.0.0.1:5432/$PGDB"

#!/bin/sh
# Runs once, when the primary's data directory is created: the app's role and database, and
# the role replicas connect as.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE reciprocity LOGIN PASSWORD '$APP_PASSWORD';
CREATE DATABASE reciprocity OWNER reciprocity;
CREATE ROLE replicator REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

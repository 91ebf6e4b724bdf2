#!/bin/sh
# A streaming replica of postgres-primary: cloned with pg_basebackup on first start (-R writes
# standby.signal and primary_conninfo), then an ordinary hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h postgres-primary -U replicator -d postgres; do sleep 1; done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h postgres-primary -U replicator \
        -D "$PGDATA" -R -X stream -c fast
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on

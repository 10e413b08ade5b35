#!/bin/sh
# Nightly base backup of affnet's PostgreSQL (run as postgres by affnet-basebackup.timer).
# A base backup plus the WAL archived since (affnet-archive.conf) restores to any moment after
# it. Keeps BACKUP_KEEP backups; WAL older than the oldest kept backup is removed with
# pg_archivecleanup. Ship BACKUP_DIR and the archive off the machine.
set -eu
BACKUP_DIR=${BACKUP_DIR:-/var/lib/postgresql/base-backups}
ARCHIVE_DIR=${ARCHIVE_DIR:-/var/lib/postgresql/wal-archive}
BACKUP_KEEP=${BACKUP_KEEP:-7}
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
target="$BACKUP_DIR/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BACKUP_DIR"
# -X none: the archive holds the WAL; -c fast: checkpoint now rather than spread over minutes.
"$PG_BINDIR/pg_basebackup" -D "$target" -F tar -z -X none -c fast --label "affnet $(date -u +%F)"
# Remove all but the newest BACKUP_KEEP backups, then the WAL only they could have needed.
ls -1d "$BACKUP_DIR"/*/ | sort | head -n "-$BACKUP_KEEP" | xargs -r rm -rf
oldest=$(ls -1d "$BACKUP_DIR"/*/ | sort | head -n 1)
first_wal=$(tar -xzOf "$oldest/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .* (file \(.*\))$/\1/p')
[ -n "$first_wal" ] && "$PG_BINDIR/pg_archivecleanup" "$ARCHIVE_DIR" "$first_wal"
echo "base backup $target"

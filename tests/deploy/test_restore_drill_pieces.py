"""The restore drill's pieces (scripts/restore_drill.py), fast: the drill itself runs in
`make restore-drill`, not in `make test`."""

import importlib.util
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests import factories

ROOT = Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location("restore_drill", ROOT / "scripts/restore_drill.py")
drill = importlib.util.module_from_spec(spec)
spec.loader.exec_module(drill)


def test_the_archive_command_never_overwrites_a_segment_and_restore_reads_it_back(tmp_path):
    archive, wal = tmp_path / "archive", tmp_path / "000000010000000000000001"
    archive.mkdir()
    wal.write_text("first")
    command = drill.archive_command(archive).replace("%p", str(wal)).replace("%f", wal.name)
    assert subprocess.run(command, shell=True, check=False).returncode == 0
    wal.write_text("second")
    assert subprocess.run(command, shell=True, check=False).returncode != 0  # kept, retried
    assert (archive / wal.name).read_text() == "first"
    back = tmp_path / "back"
    restore = drill.restore_command(archive).replace("%f", wal.name).replace("%p", str(back))
    subprocess.run(restore, shell=True, check=True)
    assert back.read_text() == "first"


def test_a_restored_backup_is_told_to_replay_the_archive_and_promote(tmp_path):
    (tmp_path / "postgresql.auto.conf").write_text("# from the backup\n")
    drill.recovery_prepare(datadir=tmp_path, archive_dir=Path("/srv/wal"))
    conf = (tmp_path / "postgresql.auto.conf").read_text()
    assert "restore_command = 'cp /srv/wal/%f %p'" in conf
    assert "recovery_target_action = 'promote'" in conf
    assert (tmp_path / "recovery.signal").exists()


def test_the_source_archives_its_wal_and_the_restored_instance_does_not():
    archiving = drill.server_options(port=5, socket_dir=Path("/tmp"), archive_dir=Path("/a"))
    assert "archive_mode=on" in archiving and "wal_level=replica" in archiving
    assert "listen_addresses=127.0.0.1" in archiving
    assert "archive_mode" not in drill.server_options(
        port=5, socket_dir=Path("/tmp"), archive_dir=None
    )


@pytest.mark.django_db
def test_the_figures_compared_are_ledger_batch_and_conversion_totals():
    if connection.vendor != "postgresql":
        pytest.skip("the drill restores PostgreSQL")
    conversion = factories.ConversionFactory()
    with connection.cursor() as cursor:
        figures = drill.figures_of(cursor)
    assert set(figures) == {"ledger", "batches", "conversions"}
    assert figures["conversions"][0][:2] == (conversion.status, "1")


def test_make_restore_drill_runs_the_script_and_make_test_does_not():
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/restore_drill.py" in makefile.split("restore-drill:")[1].split("\n\n")[0]
    assert "restore_drill" not in makefile.split("\ntest:")[1].split("\n\n")[0]

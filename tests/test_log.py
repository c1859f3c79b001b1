"""Job logs: one line for a reported error, information for a planned stop, and a retry
that cannot fix an error stops at once."""

from __future__ import annotations

import logging
import sys

import pytest

from ltbias import log
from ltbias.errors import FetchError, JobError, Preempted
from ltbias.validate import SplitValidationError


@pytest.fixture
def job_log(tmp_path):
    """A job's log path; the hook and handlers `log.setup` installs are undone afterwards."""
    hook = sys.excepthook
    yield tmp_path / "logs" / "rule" / "job.log"
    sys.excepthook = hook
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)


def _crash(path, error: BaseException, **setup) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    log.setup(path, **setup)
    sys.excepthook(type(error), error, None)
    return path.read_text()


def test_a_job_error_is_one_line(job_log):
    text = _crash(job_log, SplitValidationError("3 listed files are missing under /data"))
    assert text.count("\n") == 1
    assert "ERROR ltbias: SplitValidationError: 3 listed files are missing under /data" in text


def test_any_other_error_keeps_its_traceback(job_log):
    text = _crash(job_log, KeyError("x"))
    assert "uncaught exception" in text and "KeyError: 'x'" in text


def test_a_planned_stop_is_information(job_log):
    text = _crash(job_log, Preempted("stopped by signal at epoch 1 step 3; rerun to resume"))
    assert "INFO ltbias: stopped by signal" in text and "ERROR" not in text


def test_a_retry_after_an_unfixable_error_stops_at_once(job_log):
    _crash(job_log, SplitValidationError("labels out of range"))
    with pytest.raises(JobError, match=r"not retried: .*labels out of range"):
        log.setup(job_log)


def test_a_retryable_error_is_retried(job_log):
    _crash(job_log, FetchError("cannot download http://x"))
    log.setup(job_log)  # no error


def test_a_new_run_tries_again(job_log):
    _crash(job_log, SplitValidationError("labels out of range"))
    log.clear_fatal(job_log.parents[1])
    log.setup(job_log)


def test_attempt_logs_are_numbered_by_the_attempt(job_log):
    job_log.parent.mkdir(parents=True)
    log.setup(job_log, attempt=2, numbered=True)
    logging.getLogger("ltbias").info("first start of attempt 2")
    log.setup(job_log, attempt=2, numbered=True)  # a requeue within the same attempt
    logging.getLogger("ltbias").info("requeued")
    attempt = job_log.with_name("job.attempt2.log").read_text()
    assert "first start of attempt 2" in attempt and "requeued" in attempt
    assert not job_log.with_name("job.attempt1.log").exists() and not job_log.with_name("job.attempt3.log").exists()


def test_a_failed_write_is_one_line(job_log, tmp_path):
    """A full disk (or any output that cannot be written) is a reported error, not a crash."""
    from ltbias import files

    (tmp_path / "taken").mkdir()
    with pytest.raises(files.WriteError) as failed:
        files.save_text(tmp_path / "taken", "x")
    text = _crash(job_log, failed.value)
    assert text.count("\n") == 1 and "ERROR ltbias: WriteError: " in text and "cannot write" in text

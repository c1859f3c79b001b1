"""The errors a job reports in one line, and which of them a retry cannot fix."""

from __future__ import annotations

__all__ = ["FetchError", "JobError", "NoGPUError", "Preempted"]


class JobError(Exception):
    """An error whose message says what is wrong and where: logged as one line, without a
    traceback. Unless `retryable`, a retry of the same job (the profiles' `retries`) cannot
    fix it: bad input, a damaged file, a missing GPU; such a retry stops at once."""

    retryable = False


class FetchError(JobError, RuntimeError):
    """A download failed: the network may come back, so a retry may succeed."""

    retryable = True


class NoGPUError(JobError, RuntimeError):
    """The scheduler granted a GPU that this job cannot use."""


class Preempted(RuntimeError):
    """A stop signal arrived; training state was saved and a rerun resumes (a planned stop)."""

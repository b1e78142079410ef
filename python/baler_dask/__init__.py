"""The Dask route of `baler compress IN... --out-dir DIR --dask [ADDRESS]`.

The `baler` command starts this package (`python -m baler_dask`, through its bootstrap) and hands
it the work as JSON on stdin: {"executable", "options", "address", "workers", "directory",
"tasks": [[IN, OUT], ...]}. Each task runs `EXECUTABLE compress IN OUT OPTIONS...` in a worker, in
`directory` (where `baler` ran, so that relative paths, model paths among them, name the same files
on every worker), the same child process as `--jobs` runs locally, so the per-file code and its
safety are the same. For every finished task
this prints one line, `INDEX<TAB>STATUS<TAB>STDERR` (STATUS: the child's exit status, or `-`
when the task itself failed; STDERR with backslash, tab and newline escaped), which `baler`
turns into its progress bar and summary table.
"""
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import uuid

# A process started with BALER_STOP_WITH=PID stops when PID ends (rust/baler-cli/src/stop_with_parent.rs):
# `baler` starts this driver so, and the driver its `baler compress` children.
STOP_WITH = "BALER_STOP_WITH"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# A scheduler's address that accepts the connection and never answers (a hung scheduler, another
# service on the port) held Client() for ever; Dask's own timeout covers only the connect.
CONNECT_SECONDS = 60
# How often a task looks whether the run was interrupted, while its `baler compress` runs.
STOP_POLL_SECONDS = 1.0


def _stop_with_parent() -> bool:
    """Asks for SIGTERM when the `baler` that started this driver ends, which then ends the
    driver, its local cluster's threads, and so (through their own BALER_STOP_WITH) the `baler
    compress` they run; false when that `baler` has ended already."""
    parent = os.environ.pop(STOP_WITH, None)
    if parent is None or not parent.isdigit():
        return True
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == int(parent)


def compress_one(executable: str, directory: str, source: str, target: str, options: list, stop_name: str) -> tuple:
    """Runs on a worker: one `baler compress` in `directory`; returns (exit status, stderr). A
    signal gives -N. The input and output follow `--`, so that a file named `-c.root` is a file.
    When the run is interrupted (the Dask Event `stop_name` is set), the child is stopped, which
    removes its temporary output: on a remote cluster, whose workers outlive the `baler` that was
    interrupted, the files in flight went on replacing --out-dir's files after it had gone."""
    from distributed import Event
    stop = Event(stop_name)
    if stop.is_set():
        return -signal.SIGTERM, "baler: error: not run: the run was interrupted"
    if not os.path.isdir(directory):
        return 1, (f"baler: error: this Dask worker has no folder {directory} (where baler compress ran): "
                   "the workers must see the same paths")
    # the child also stops when this process (a local cluster's driver, or a remote worker) ends
    proc = subprocess.Popen([executable, "compress", *options, "--", source, target], cwd=directory,
                            env={**os.environ, STOP_WITH: str(os.getpid())},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            errors="replace")
    while True:
        try:
            _, stderr = proc.communicate(timeout=STOP_POLL_SECONDS)
            return proc.returncode, stderr
        except subprocess.TimeoutExpired:  # (communicate again loses none of the output)
            if stop.is_set():
                proc.terminate()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def _report(index: int, status, stderr: str):
    print(f"{index}\t{status}\t{_escape(stderr)}", flush=True)


class _Interrupted(BaseException):
    """SIGTERM (from `baler`'s end, or a batch system): stop as Ctrl-C does."""


def _raise(error):
    def handler(signum, frame):
        raise error(f"signal {signum}")
    return handler


def _client(address, workers: int):
    """A client of the scheduler at `address` (an answer within CONNECT_SECONDS), or of a local
    cluster of `workers` single-thread workers in this process, without a dashboard (no web port).
    The workers only wait: each task's work is a process of its own already, so worker processes
    would add nothing but their start (5.7 s instead of 0.3 s for two workers on the 2-core
    development machine under load); and they need no memory limit: Dask's default shares the
    machine's memory out among them, and each then compared this whole process with its share and
    paused (--jobs 300 on 24 GB, or 32 under a 1 GB limit, never ran a task)."""
    from distributed import Client, LocalCluster
    if address:
        previous = signal.signal(signal.SIGALRM, _raise(TimeoutError))
        signal.alarm(CONNECT_SECONDS)
        try:
            return Client(address)
        except TimeoutError as error:
            raise TimeoutError(f"the scheduler did not answer in {CONNECT_SECONDS} s") from error
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=None,
                           memory_limit=0)
    return Client(cluster)


def main() -> int:
    if not _stop_with_parent():
        return 128 + signal.SIGTERM  # as if the parent's SIGTERM had come
    work = json.load(sys.stdin)
    # distributed logs every worker's start and stop at INFO: the bar and the table are the report.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, _raise(_Interrupted))
    workers = max(1, min(work["workers"], len(work["tasks"])))  # a worker per task at most
    try:
        from distributed import Event, as_completed
        client = _client(work["address"], workers)
    except Exception as error:  # noqa: BLE001 - any failure to reach a cluster is one line
        where = work["address"] or f"a local cluster of {workers} workers"
        sys.exit(f"baler: error: cannot start Dask on {where}: {type(error).__name__}: {error}")
    with client:
        stop = Event(f"baler-stop-{uuid.uuid4().hex}", client=client)
        futures = {client.submit(compress_one, work["executable"], work["directory"], source, target,
                                 work["options"], stop.name, pure=False): index
                   for index, (source, target) in enumerate(work["tasks"])}
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    status, stderr = future.result()
                except Exception as error:  # noqa: BLE001 - a lost worker fails this file, not the others
                    status, stderr = "-", f"baler: error: the Dask task failed: {type(error).__name__}: {error}"
                _report(index, status, stderr)
        except (KeyboardInterrupt, _Interrupted):
            stop.set()  # the tasks in flight stop their `baler compress`; the others do not start
            client.cancel(list(futures))
            return 128 + signal.SIGINT
        cluster = getattr(client, "cluster", None)
    if cluster is not None:
        cluster.close()
    return 0

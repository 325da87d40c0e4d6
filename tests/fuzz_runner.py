"""Run many `sheetnet` command lines fast, each in its own process, measured.

A server process imports sheetnet once and forks a child per command line;
the child runs ``sheetnet.cli.main(argv)`` with stdout and stderr in files and
an alarm as its time limit.  The server reports how it ended (exit code, or
the signal that killed it -- SIGALRM means it hung), its peak resident
memory (``wait4``'s ``ru_maxrss``) and its wall time.  Forking from a warm
interpreter makes a case cost milliseconds instead of an interpreter start.

    with Runner() as runner:
        result = runner.run(["check", "x.xlsx"], cwd="/tmp/case", timeout=30)
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time

SAFETY_ADDRESS_SPACE = 16 << 30     # a case that runs away anyway stops here, not in the machine's swap


def _warm() -> None:
    """Import and exercise what the commands use (the parser, the function
    registry, reader, engine, writer, the lessons, matplotlib, torch) once
    here, so that no forked child pays for it.  torch is only imported: its
    thread pools start on first use, in the children."""
    import tempfile

    import sheetnet.cli
    from sheetnet.book import Book
    from sheetnet.check import check_file
    from sheetnet.xlsx.writer import write_workbook
    sheetnet.cli.build_parser()
    book = Book()
    sheet = book.add_sheet("S")
    sheet["A1"] = 2
    sheet["B1"] = "=SUM(A1)*2"
    with tempfile.TemporaryDirectory() as folder:
        write_workbook(book, os.path.join(folder, "warm.xlsx"))
        check_file(os.path.join(folder, "warm.xlsx"))
    try:                    # a figure drawn once: fonts found and cached
        import io

        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([1, 2], [1, 2], label="x")
        ax.legend()
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    except ImportError:
        pass
    import importlib
    import pkgutil
    for info in pkgutil.walk_packages(sheetnet.__path__, "sheetnet."):
        if info.name.endswith(("__main__", "_lo_worker")):       # these run when imported
            continue
        try:                # torch among them: imported, never run here (its threads start in the children)
            importlib.import_module(info.name)
        except ImportError:
            pass


def _serve() -> None:
    import sheetnet.cli
    _warm()
    for line in sys.stdin:
        case = json.loads(line)
        os.makedirs(case["log_dir"], exist_ok=True)
        out_path, err_path = (os.path.join(case["log_dir"], n) for n in ("stdout", "stderr"))
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:                                      # the child: one command line
            try:
                for fd, path in ((1, out_path), (2, err_path)):
                    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.dup2(target, fd)
                    os.close(target)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                os.chdir(case["cwd"])
                resource.setrlimit(resource.RLIMIT_AS, (SAFETY_ADDRESS_SPACE, SAFETY_ADDRESS_SPACE))
                os.environ.update(case.get("env", {}))
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.alarm(int(case["timeout"]))
                code = sheetnet.cli.main(case["argv"])
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code if isinstance(code, int) else 0)
            except BaseException:                          # past main's own handlers: a crash
                import traceback
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(99)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        report = {"seconds": seconds, "maxrss_kb": usage.ru_maxrss}
        if os.WIFSIGNALED(status):
            report.update(status="signal", code=os.WTERMSIG(status))
        else:
            report.update(status="exit", code=os.WEXITSTATUS(status))
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()


class Runner:
    """The client side: a server process, and run(argv, cwd, timeout) -> result dict
    (status, code, maxrss_kb, seconds, stdout, stderr)."""

    def __init__(self, repo_root: str | None = None):
        root = repo_root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   SHEETNET_NO_PROGRESS="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-u", os.path.abspath(__file__), "--serve"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, argv: list[str], cwd: str, log_dir: str, timeout: int = 60, env: dict | None = None) -> dict:
        case = {"argv": [str(a) for a in argv], "cwd": str(cwd), "log_dir": str(log_dir), "timeout": timeout,
                "env": env or {}}
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fuzz server died")
        result = json.loads(line)
        for name in ("stdout", "stderr"):
            with open(os.path.join(log_dir, name), errors="replace") as fh:
                result[name] = fh.read()
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()

"""`workbooks/` rebuilds byte for byte whatever SIMD kernels numpy picks.

numpy chooses its np.exp/np.log/... kernels at import from the CPU (AVX2,
AVX-512, NEON ...), and they differ in the last bit; NPY_DISABLE_CPU_FEATURES
switches the better ones off, imitating older CPUs.  The engine's EXP, LN,
LOG, ^ and TANH are correctly rounded (sheetnet/formula/crmath.py), so every
setting must give the committed bytes.  Each setting runs in a fresh process
(numpy reads the variable once, at import)."""

import json
import os
import subprocess
import sys

import pytest

from sheetnet.lessons import all_lessons

ROOT = os.path.join(os.path.dirname(__file__), "..")

# numpy's own kernels, for the record: they must differ between the settings
# on a CPU with several dispatch levels, else the test proves nothing there.
_PROBE = ("import hashlib, json, numpy as np; from numpy._core import _multiarray_umath as m; "
          "x = np.linspace(-30, 30, 100003); "
          "print(json.dumps({'kernels': hashlib.sha1(np.exp(x).tobytes() + np.log(x * x + 1).tobytes()"
          " + np.tanh(x).tobytes()).hexdigest(), 'active': [f for f in m.__cpu_dispatch__ "
          "if m.__cpu_features__.get(f)]}))")


def _dispatch_settings() -> list[str]:
    """"" (everything on), then the best dispatchable feature off, then the two best ... -- at
    least three settings (a machine with fewer levels repeats the last, still a fresh process)."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    active = json.loads(out.stdout)["active"]
    settings = [" ".join(active[len(active) - k:]) for k in range(len(active) + 1)]
    while len(settings) < 3:
        settings.append(settings[-1])
    return settings


@pytest.mark.slow
def test_workbooks_rebuild_byte_for_byte_under_every_numpy_dispatch(tmp_path):
    committed = {os.path.basename(l.default_out): os.path.join(ROOT, l.default_out) for l in all_lessons().values()}
    kernels = set()
    settings = _dispatch_settings()
    for i, setting in enumerate(settings):
        env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=setting, SHEETNET_NO_PROGRESS="1")
        probe = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
        kernels.add(json.loads(probe.stdout)["kernels"])
        out = tmp_path / f"setting{i}"
        run = subprocess.run([sys.executable, "-m", "sheetnet", "build", "all", "--out", str(out)],
                             env=env, capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, run.stderr
        for name, path in committed.items():
            assert (out / name).read_bytes() == open(path, "rb").read(), \
                f"NPY_DISABLE_CPU_FEATURES={setting!r}: {name} differs from the committed workbooks/{name}"
    print(f"settings {settings}: {len(kernels)} distinct numpy kernel outputs, identical workbooks")
    if len(set(settings)) >= 3:
        assert len(kernels) >= 2, "numpy's kernels did not change with the settings: the test shows nothing here"

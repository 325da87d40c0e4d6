"""Devices and dtypes of the torch references (sheetnet.devices)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from sheetnet.errors import UserError
from sheetnet.devices import available_devices, dtype_name, resolve_device, resolve_dtype


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None) == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert available_devices()[0] == "cpu"
    assert ("cuda" in available_devices()) == torch.cuda.is_available()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_one_clear_line():
    with pytest.raises(UserError) as err:
        resolve_device("cuda")
    msg = str(err.value)
    assert msg.startswith("--device cuda: no CUDA device is available (torch ")
    assert "\n" not in msg
    with pytest.raises(UserError):
        resolve_device("cuda:0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device_index():
    assert resolve_device("cuda").type == "cuda"
    with pytest.raises(UserError):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_unknown_device_and_dtype():
    with pytest.raises(UserError, match="unknown device"):
        resolve_device("gpu")
    with pytest.raises(UserError, match="unknown dtype"):
        resolve_dtype("float16")
    assert resolve_dtype(None) == torch.float64
    assert resolve_dtype("float32") == torch.float32 and resolve_dtype("double") == torch.float64
    assert dtype_name(torch.float32) == "float32" and dtype_name("f64") == "float64"

"""`sheetnet train-collab` and scripts/make_synthetic_movielens.py."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sheetnet.cli import main
from sheetnet.commands.train_collab import read_ratings
from sheetnet.errors import UserError
from sheetnet.devices import available_devices

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "scripts", "make_synthetic_movielens.py")


def _script():
    spec = importlib.util.spec_from_file_location("make_synthetic_movielens", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synth():
    return _script()


@pytest.fixture(scope="module")
def small(tmp_path_factory, synth):
    path = tmp_path_factory.mktemp("ml") / "u.data"
    assert synth.main(["--users", "150", "--movies", "300", "--ratings", "6000", "--seed", "3", "--out", str(path)]) == 0
    return str(path)


# --------------------------------------------------------------------------- the synthetic file

def test_synthetic_file_is_deterministic_and_movielens_shaped(tmp_path, synth):
    a, b = tmp_path / "a.data", tmp_path / "b.data"
    args = ["--users", "60", "--movies", "90", "--ratings", "2000", "--seed", "7"]
    assert synth.main(args + ["--out", str(a)]) == 0
    assert synth.main(args + ["--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    d = np.loadtxt(a, dtype=np.int64)
    assert d.shape == (2000, 4)
    assert set(np.unique(d[:, 0])) == set(range(1, 61)) and set(np.unique(d[:, 1])) == set(range(1, 91))
    assert np.bincount(d[:, 0])[1:].min() >= 20                       # every user rates >= 20, as in ML-100k
    assert len(np.unique(d[:, 0] * 1000 + d[:, 1])) == 2000            # no user rates a movie twice
    assert set(np.unique(d[:, 2])) <= {1, 2, 3, 4, 5}
    c = tmp_path / "r.csv"
    assert synth.main(args + ["--format", "csv", "--out", str(c)]) == 0
    lines = c.read_text().splitlines()
    assert lines[0] == "userId,movieId,rating,timestamp" and len(lines) == 2001
    ratings = {float(line.split(",")[2]) for line in lines[1:]}
    assert ratings <= {k / 2 for k in range(1, 11)}


def test_synthetic_full_size_counts(synth):
    users, movies, values, stamps = synth.generate(seed=0)
    assert len(values) == 100_000 and len(np.unique(users)) == 943 and len(np.unique(movies)) == 1682


def test_synthetic_bad_sizes(tmp_path, synth, capsys):
    assert synth.main(["--users", "10", "--movies", "10", "--ratings", "5", "--out", str(tmp_path / "x")]) == 2
    assert "error" in capsys.readouterr().err


# --------------------------------------------------------------------------- reading ratings files

def test_read_formats(tmp_path):
    csv = tmp_path / "ratings.csv"
    csv.write_text("timestamp,rating,movieId,userId\n5,4.5,10,1\n6,3,11,1\n7,2.5,10,2\n")
    r = read_ratings(str(csv))
    assert len(r) == 3
    assert r.ratings.tolist() == [4.5, 3.0, 2.5]
    assert r.user_ids[r.users].tolist() == [1, 1, 2] and r.item_ids[r.items].tolist() == [10, 11, 10]
    plain = tmp_path / "plain.csv"
    plain.write_text("1,10,4\n2,11,3,99\n")
    assert read_ratings(str(plain)).ratings.tolist() == [4.0, 3.0]
    udata = tmp_path / "u.data"
    udata.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n\n")
    assert len(read_ratings(str(udata))) == 2
    dat = tmp_path / "ratings.dat"
    dat.write_text("1::1193::5::978300760\n")
    assert read_ratings(str(dat)).ratings.tolist() == [5.0]


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"userId,movieId,rating\n", "no ratings"),
    (b"userId,movieId,rating\n1,2,3\n1,3,x\n", ":3: rating 'x' is not a number"),
    (b"userId,movieId,rating\n1,2,nan\n", ":2: rating 'nan' is not a finite number"),
    (b"1\t2\t3\t4\n1\t2\n", ":2: expected 3 or 4"),
    (b"user,item,score\n1,2,3\n", ":1: expected a header naming userId, movieId and rating"),
    (b"hello world\n", ":1: expected a header naming userId, movieId and rating"),
    (b"1,2,3\n\xff\xfe,1,2\n", ":2: not UTF-8 text"),
    (b"\x00\x01\x02binary", "binary data"),
    (b"userId,movieId,rating\n,5,3\n", ":2: the userId is empty"),
])
def test_bad_files_name_the_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        read_ratings(str(path))
    assert message in str(err.value) and str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- the command

def _run(capsys, *args):
    code = main(["train-collab", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("device", available_devices())
def test_trains_and_mse_decreases(small, capsys, device):
    code, out, err = _run(capsys, "--ratings", small, "--epochs", "2", "--lr", "2e-2", "--device", device, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["n_ratings"] == 6000 and res["n_train"] == 4800 and res["n_valid"] == 1200
    epochs = res["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert epochs[1]["valid_mse"] < epochs[0]["valid_mse"]
    assert epochs[1]["train_mse"] < epochs[0]["train_mse"]
    assert res["final_valid_mse"] == epochs[-1]["valid_mse"]
    assert res["valid_mse_over_variance"] == pytest.approx(res["final_valid_mse"] / res["valid_variance"])
    assert res["settings"]["device"].startswith(device)


def test_table_output_and_same_seed_same_numbers(small, capsys):
    code, out, err = _run(capsys, "--ratings", small, "--epochs", "1", "--factors", "8", "--seed", "5")
    assert code == 0, err
    lines = out.splitlines()
    assert "6,000 ratings, 150 users, 300 movies" in lines[0]
    assert lines[2].split() == ["epoch", "train_mse", "valid_mse", "seconds"]
    assert lines[3].split()[0] == "1" and "of the validation ratings' variance" in lines[-1]
    code, out2, _ = _run(capsys, "--ratings", small, "--epochs", "1", "--factors", "8", "--seed", "5")
    strip = [line.split()[:3] for line in out2.splitlines()[3:4]]
    assert strip == [line.split()[:3] for line in lines[3:4]]


def test_no_y_range_and_float64(small, capsys):
    code, out, err = _run(capsys, "--ratings", small, "--epochs", "1", "--no-y-range", "--dtype", "float64",
                          "--batch-size", "256", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["settings"]["y_range"] is None and res["settings"]["dtype"] == "float64"


@pytest.mark.parametrize("args, message", [
    (["--ratings", "/nonexistent/ratings.csv"], "no such file"),
    (["--ratings", "{dir}"], "is a folder"),
    (["--ratings", "{small}", "--device", "gpu"], "unknown device"),
    (["--ratings", "{small}", "--valid-pct", "1.5"], "--valid-pct 1.5"),
    (["--ratings", "{small}", "--epochs", "0"], "--epochs 0"),
    (["--ratings", "{small}", "--y-range", "5", "1"], "--y-range 5 1"),
    (["--ratings", "{small}", "--lr", "-1"], "--lr -1"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, small, capsys, args, message):
    args = [a.format(dir=tmp_path, small=small) for a in args]
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("sheetnet: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(small, capsys):
    code, out, err = _run(capsys, "--ratings", small, "--device", "cuda")
    assert code == 2 and err.count("\n") == 1
    assert "--device cuda: no CUDA device is available" in err

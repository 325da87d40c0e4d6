"""Users' delimited files: ',' ';' tab '::' and spaces, a header or not, decimal
commas where the separator is not ','; every bad line one error naming it."""

import numpy as np
import pytest

from sheetnet.commands.optimize import read_xy_csv
from sheetnet.errors import UserError
from sheetnet.lessons.collab.ratings import read_ratings

XY = {
    "comma, header": "x,y\n1,2.5\n3,4\n",
    "semicolon, decimal comma (European Excel)": "x;y\n1;2,5\n3;4\n",
    "semicolon, no header": "1;2,5\n3;4\n",
    "tab, header": "x\ty\n1\t2.5\n3\t4\n",
    "tab, decimal comma": "1\t2,5\n3\t4\n",
    "spaces": "  1   2.5\n3 4\n\n",
    "CRLF": "x,y\r\n1,2.5\r\n3,4\r\n",
}


@pytest.mark.parametrize("text", XY.values(), ids=XY.keys())
def test_xy_files_in_every_shape(text, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text(text)
    x, y = read_xy_csv(str(path))
    assert x.tolist() == [1.0, 3.0] and y.tolist() == [2.5, 4.0]


@pytest.mark.parametrize("text, message", [
    ("x;y\n1;2\n3;abc\n", "line 3: expected two numbers x,y separated by ';', got '3;abc'"),
    ("1 2\n3 4 5\n", "line 2: expected two numbers x,y separated by spaces"),
    ("1,5,2\n", "line 1: expected two numbers x,y separated by ','"),   # a comma file has no decimal comma
])
def test_xy_errors_name_the_line_and_separator(text, message, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text(text)
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        read_xy_csv(str(path))


RATINGS = {
    "comma, header": "userId,movieId,rating,timestamp\n1,10,4.5,0\n2,10,3,0\n",
    "semicolon, header, decimal comma": "userId;movieId;rating\n1;10;4,5\n2;10;3\n",
    "semicolon, no header": "1;10;4,5;0\n2;10;3;0\n",
    "tab (u.data)": "1\t10\t4.5\t0\n2\t10\t3\t0\n",
    "spaces": "1 10 4.5 0\n2 10 3 0\n",
    "double colon (ratings.dat)": "1::10::4.5::0\n2::10::3::0\n",
}


@pytest.mark.parametrize("text", RATINGS.values(), ids=RATINGS.keys())
def test_ratings_files_in_every_shape(text, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(text)
    r = read_ratings(str(path))
    assert r.user.tolist() == [1.0, 2.0] and r.movie.tolist() == [10.0, 10.0] and r.rating.tolist() == [4.5, 3.0]


def test_ratings_error_names_line_and_separator(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("userId;movieId;rating\n1;10;4,5\n2;10\n")
    with pytest.raises(UserError, match=r"r.csv:3: expected 3 fields separated by ';'"):
        read_ratings(str(path))
    path.write_text("1;10;x;0\n")
    with pytest.raises(UserError, match=r"r.csv:1: expected a header"):
        read_ratings(str(path))

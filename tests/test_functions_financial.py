"""Financial functions: the laws between them (PV/FV/PMT/RATE invert one
another, NPV vanishes at IRR, interest and principal add up to the payments,
the coupon schedule brackets settlement, PRICE and YIELD invert one another)
and the torch forms' gradients.  Excel's own values are checked by
tests/test_reference_workbooks.py."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sheetnet.errors import ExcelError

from formulas import eval_all

SETTINGS = settings(max_examples=25, deadline=None)
NUM = ExcelError("#NUM!")

rates = st.integers(1, 300).map(lambda n: n / 1000)            # 0.1 % .. 30 % per period
periods = st.integers(1, 120)
money = st.integers(100, 100_000).map(float)


@given(rates, periods, money, money, st.sampled_from([0, 1]))
@SETTINGS
def test_pv_fv_pmt_and_rate_invert_one_another(rate, n, pv, fv, when):
    assume(pv != fv)                    # else r = 0 solves RATE's equation too
    payment, present, future, back = eval_all([
        f"PMT({rate},{n},{-pv},{fv},{when})",
        f"PV({rate},{n},Z1,{fv},{when})",
        f"FV({rate},{n},Z1,{-pv},{when})",
        f"RATE({n},Z1,{-pv},{fv},{when},{rate * 1.1})"])      # a guess near the rate: Newton's basin
    assert math.isclose(present, -pv, rel_tol=1e-9)
    # FV subtracts two terms of the size pv (1+rate)^n: its rounding is theirs
    assert math.isclose(future, fv, rel_tol=1e-9, abs_tol=1e-13 * pv * (1 + rate) ** n)
    assert math.isclose(back, rate, rel_tol=1e-6)


@given(rates, st.integers(2, 60), money, st.sampled_from([0, 1]))
@SETTINGS
def test_interest_and_principal_add_up_to_the_payments(rate, n, pv, when):
    payment, interest, principal, first_half = eval_all([
        f"PMT({rate},{n},{pv},0,{when})",
        f"CUMIPMT({rate},{n},{pv},1,{n},{when})",
        f"CUMPRINC({rate},{n},{pv},1,{n},{when})",
        f"CUMPRINC({rate},{n},{pv},1,{n // 2},{when})+CUMPRINC({rate},{n},{pv},{n // 2 + 1},{n},{when})"])
    assert math.isclose(principal, -pv, rel_tol=1e-9)
    assert math.isclose(first_half, -pv, rel_tol=1e-9)
    assert math.isclose(interest + principal, n * payment, rel_tol=1e-9)


flows = st.lists(st.integers(-1000, 1000).map(float), min_size=2, max_size=8)


@given(st.integers(-5000, -1).map(float), flows)
@SETTINGS
def test_npv_vanishes_at_irr(outlay, later):
    assume(any(v > 0 for v in later))
    cells = {"A1": outlay, **{f"A{i + 2}": v for i, v in enumerate(later)}}
    last = len(later) + 1
    irr, npv = eval_all([f"IRR(A1:A{last})", f"A1+NPV(Z1,A2:A{last})"], cells)
    if isinstance(irr, ExcelError):
        return                                      # no root above -100 %
    scale = sum(abs(v) for v in [outlay, *later])
    assert abs(npv) <= 1e-9 * scale * max(1.0, 1 / (1 + irr) ** len(later))


def test_xnpv_and_xirr_agree_with_irr_on_yearly_dates():
    cells = {"A1": -100.0, "A2": 30.0, "A3": 40.0, "A4": 50.0,
             "B1": 43831.0, "B2": 44197.0, "B3": 44562.0, "B4": 44927.0}   # 1 January 2020 .. 2023
    xirr, xnpv, irr = eval_all(["XIRR(A1:A4,B1:B4)", "XNPV(Z1,A1:A4,B1:B4)", "IRR(A1:A4)"], cells)
    assert abs(xnpv) < 1e-9
    assert xirr == pytest.approx(irr, rel=1e-2)          # a leap year makes the two differ slightly


@given(st.integers(40000, 50000), st.integers(1, 30), st.sampled_from([1, 2, 4]), st.integers(0, 4))
@SETTINGS
def test_the_coupon_schedule_brackets_settlement(settlement, years, frequency, basis):
    maturity = settlement + 365 * years + 17
    args = f"{settlement},{maturity},{frequency},{basis}"
    pcd, ncd, days, before, after, count = eval_all([f"COUPPCD({args})", f"COUPNCD({args})", f"COUPDAYS({args})",
                                                      f"COUPDAYBS({args})", f"COUPDAYSNC({args})",
                                                      f"COUPNUM({args})"])
    assert pcd <= settlement < ncd <= maturity
    assert count >= 1 and count == math.floor(count)
    if basis in (1, 2, 3):
        assert before == settlement - pcd and after == ncd - settlement
    if basis == 1:
        assert before + after == days


@given(st.integers(40000, 45000), st.integers(2, 30), st.integers(1, 150).map(lambda n: n / 1000),
       st.integers(1, 150).map(lambda n: n / 1000), st.sampled_from([1, 2, 4]), st.integers(0, 4))
@SETTINGS
def test_yield_inverts_price(settlement, years, rate, yld, frequency, basis):
    maturity = settlement + 365 * years
    price, back = eval_all([f"PRICE({settlement},{maturity},{rate},{yld},100,{frequency},{basis})",
                             f"YIELD({settlement},{maturity},{rate},Z1,100,{frequency},{basis})"])
    assert back == pytest.approx(yld, rel=1e-6)


@given(st.integers(1, 500).map(lambda n: n / 1000), st.integers(1, 365))
@SETTINGS
def test_effect_and_nominal_invert_one_another(nominal, npery):
    effect, back = eval_all([f"EFFECT({nominal},{npery})", f"NOMINAL(Z1,{npery})"])
    assert back == pytest.approx(nominal, rel=1e-9)


def test_errors_of_the_annuity_functions():
    got = eval_all(["PMT(0.1,0,100)", "NPER(0,0,100)", "RATE(3300,-200,8000)", "IRR({1,2,3})", "IRR({-1,2},-1)",
                     "NPV(-1,1,2)", "CUMPRINC(0.1,10,100,0,5,0)", "PV(-1,-2,1)"])
    assert got == [NUM, NUM, NUM, NUM, ExcelError("#VALUE!"), ExcelError("#DIV/0!"), NUM, ExcelError("#DIV/0!")]


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, args", [("PV", (0.05, 10.0, -100.0, 50.0, 1.0)), ("FV", (0.05, 10.0, -100.0, 50.0)),
                                        ("PMT", (0.05, 10.0, 1000.0)), ("PV", (0.0, 10.0, -100.0))])
def test_torch_forms_differentiate_like_finite_differences(name, args):
    """The Solver's exact gradients: d/d(rate) and d/d(nper) of the torch form
    equal the central differences of the Python form."""
    from sheetnet.formula.functions import FUNCTIONS
    spec = FUNCTIONS[name]
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
    spec.torch(*xs).backward()
    for i in (0, 1):
        h = 1e-6
        up = [a + (h if j == i else 0.0) for j, a in enumerate(args)]
        down = [a - (h if j == i else 0.0) for j, a in enumerate(args)]
        numeric = (spec.python(*up, *[0.0] * (5 - len(args))) - spec.python(*down, *[0.0] * (5 - len(args)))) / (2 * h)
        if args[0] == 0 and i == 0:
            continue                     # at rate 0 the torch form takes the r = 0 branch (its limit)
        assert xs[i].grad.item() == pytest.approx(numeric, rel=1e-6), (name, i)


def test_npv_torch_form_gives_exact_gradients_of_the_rate():
    from sheetnet.formula.functions import FUNCTIONS

    class Value:
        def __init__(self, t, kind=None):
            self.t, self.kind = t, kind

    r = torch.tensor([[[0.07]]], dtype=torch.float64, requires_grad=True)
    flows = torch.tensor([[[10.0, 20.0, 30.0]]], dtype=torch.float64)
    value, _ = FUNCTIONS["NPV"].torch(Value(r), Value(flows))
    value.sum().backward()
    expected = sum(-(i + 1) * v / 1.07 ** (i + 2) for i, v in enumerate([10.0, 20.0, 30.0]))
    assert r.grad.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("formula, documented", [
    ("VDB(2400,300,3650,0,1)", 1.32), ("VDB(2400,300,120,6,18)", 396.31), ("VDB(2400,300,120,6,18,1.5)", 311.81),
    ("VDB(2400,300,10,0,0.875,1.5)", 315.0), ("DDB(2400,300,10,10)", 22.12),
    ("DURATION(DATE(2018,7,1),DATE(2048,1,1),0.08,0.09,2,1)", 10.9191453),
    ("MDURATION(DATE(2008,1,1),DATE(2016,1,1),0.08,0.09,2,1)", 5.73567),
    ("PRICEDISC(DATE(2008,2,16),DATE(2008,3,1),0.0525,100,2)", 99.79583333),
    ("YIELDDISC(DATE(2008,2,16),DATE(2008,3,1),99.795,100,2)", 0.052823),
    ("PRICEMAT(DATE(2008,2,15),DATE(2008,4,13),DATE(2007,11,11),0.061,0.061,0)", 99.98449888),
    ("YIELDMAT(DATE(2008,3,15),DATE(2008,11,3),DATE(2007,11,8),0.0625,100.0123,0)", 0.060954),
    ("RECEIVED(DATE(2008,2,15),DATE(2008,5,15),1000000,0.0575,2)", 1014584.654),
    ("AMORDEGRC(2400,DATE(2008,8,19),DATE(2008,12,31),300,1,0.15,1)", 776),
    ("AMORLINC(2400,DATE(2008,8,19),DATE(2008,12,31),300,1,0.15,1)", 360)])
def test_functions_no_reference_workbook_uses_give_excels_documented_examples(formula, documented):
    """Microsoft's examples, to the digits its documentation prints."""
    value, = eval_all([formula])
    digits = len(str(documented).split(".")[1]) if "." in str(documented) else 0
    assert value == pytest.approx(documented, abs=0.6 * 10 ** -digits)


@given(st.integers(1_000, 100_000).map(float), st.integers(0, 90).map(lambda n: n / 100),
       st.integers(2, 40).map(lambda n: n / 100), st.integers(39448, 39448 + 364), st.integers(1, 365),
       st.sampled_from([0, 1, 3, 4]))
@settings(max_examples=10, deadline=None)
def test_amorlinc_spends_exactly_the_depreciable_cost(cost, salvage_share, rate, bought, first_days, basis):
    """AMORLINC's periods (the prorated first, the whole ones, the rest)
    add up to cost - salvage, and the periods past the asset's life give 0."""
    salvage = cost * salvage_share
    life = math.ceil(1 / rate) + 1
    args = f"{cost},{bought},{bought + first_days},{salvage},{{}},{rate},{basis}"
    values = eval_all([f"AMORLINC({args.format(p)})" for p in range(life + 3)])
    assert all(isinstance(v, float) and v >= 0 for v in values), values
    assert sum(values) == pytest.approx(cost - salvage, rel=1e-12)
    assert values[-1] == 0.0

"""Financial: the coupon schedule of a bond -- COUPPCD, COUPNCD, COUPNUM,
COUPDAYS, COUPDAYBS, COUPDAYSNC (financial_daycount.py has the bases and
the schedule).  All take (settlement, maturity, frequency, [basis]):
settlement must precede maturity, frequency be 1, 2 or 4, basis 0..4
(#NUM! otherwise); dates are truncated, booleans are #VALUE!."""

from __future__ import annotations

from ...dates import DateSystem
from .financial_daycount import (Basis, Day, basis_argument, coupon_count, coupon_dates, date_argument,
                                 frequency_argument, require, security)

ARGS = "settlement: any, maturity: any, frequency: any, [basis: any]"


def read(system: DateSystem, settlement, maturity, frequency, basis):
    """(settlement, maturity, frequency, Basis), validated."""
    s = Day(date_argument(settlement, system), system)
    m = Day(date_argument(maturity, system), system)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    require(s < m)
    return s, m, f, b


@security("COUPPCD", args=ARGS)
def COUPPCD(system, settlement, maturity, frequency, basis):
    """COUPPCD(settlement, maturity, frequency, [basis]): the coupon date on or before settlement."""
    s, m, f, _ = read(system, settlement, maturity, frequency, basis)
    return float(coupon_dates(s, m, f)[0].serial)


@security("COUPNCD", args=ARGS)
def COUPNCD(system, settlement, maturity, frequency, basis):
    """COUPNCD(settlement, maturity, frequency, [basis]): the first coupon date after settlement."""
    s, m, f, _ = read(system, settlement, maturity, frequency, basis)
    return float(coupon_dates(s, m, f)[1].serial)


@security("COUPNUM", args=ARGS)
def COUPNUM(system, settlement, maturity, frequency, basis):
    """COUPNUM(settlement, maturity, frequency, [basis]): coupons payable after settlement."""
    s, m, f, _ = read(system, settlement, maturity, frequency, basis)
    return coupon_count(s, m, f)


@security("COUPDAYS", args=ARGS)
def COUPDAYS(system, settlement, maturity, frequency, basis):
    """COUPDAYS(settlement, maturity, frequency, [basis]): days in the coupon
    period holding settlement (360/freq, 365/freq or the actual length)."""
    s, m, f, b = read(system, settlement, maturity, frequency, basis)
    return b.coupon_days(s, m, f)


@security("COUPDAYBS", args=ARGS)
def COUPDAYBS(system, settlement, maturity, frequency, basis):
    """COUPDAYBS(settlement, maturity, frequency, [basis]): days from the previous coupon to settlement."""
    s, m, f, b = read(system, settlement, maturity, frequency, basis)
    return b.days_before_settlement(s, m, f)


@security("COUPDAYSNC", args=ARGS)
def COUPDAYSNC(system, settlement, maturity, frequency, basis):
    """COUPDAYSNC(settlement, maturity, frequency, [basis]): days from settlement to the next coupon."""
    s, m, f, b = read(system, settlement, maturity, frequency, basis)
    return b.days_to_next_coupon(s, m, f)

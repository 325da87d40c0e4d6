"""The Solver's methods and default settings (imported by the command-line
parser, so nothing heavy here)."""

METHODS = ("lbfgs", "adam")
DEFAULT_MAX_ITER = {"lbfgs": 15000, "adam": 1000}
DEFAULT_TOL = {"lbfgs": 2.220446049250313e-09, "adam": 1e-9}     # lbfgs: scipy's own ftol
DEFAULT_ADAM_LR = 0.05
DEFAULT_GTOL = 1e-05        # lbfgs: scipy's pgtol, the largest projected gradient component at a stop
ADAM_WINDOW = 50          # adam stops when the best objective stalls over this many steps

"""Writing a VBA project (``xl/vbaProject.bin``) from module source text, in pure Python.

* :mod:`.compression` -- the MS-OVBA run-length/LZ77 compression every module's
  source and the ``dir`` stream are stored with;
* :mod:`.cfb` -- a compound file (CFB v3) writer, the container format of the project;
* :mod:`.project` -- the project's streams (``PROJECT``, ``dir``, ``_VBA_PROJECT``,
  one per module) from :class:`~.project.Module` objects.

No p-code and no performance cache are written: the ``_VBA_PROJECT`` stream says
"version unknown", so Excel compiles the modules from their source on opening,
and LibreOffice imports the source as Basic with VBA support.

PyPI's ``ms-ovba`` 0.0.1 (the one VBA project writer found there) was tried and
not used: it writes scratch files beside the sources in the working directory and
appends to them on a second run, and it imports a package (``ms_dtyp``) it does
not declare.
"""

from .project import Module, vba_project_bin

__all__ = ["Module", "vba_project_bin"]

"""The course's Jupyter kernel: IPython's, with a machine-independent ``language_info``.

JupyterLab copies the kernel's ``language_info`` into a notebook's metadata when
the kernel starts; if it differs from what is stored, the notebook is marked
modified before the student has done anything, and closing it asks to save.
IPython's kernel reports the Python patch version (``"version": "3.11.7"``), so
no stored notebook could match every machine. This kernel reports the same
dictionary without ``version``; ``tools/execute_notebooks.py`` stores exactly
that dictionary, so stored notebooks open clean and stay machine-independent.

It is selected for this environment only, by ``ipython_kernel_config.json`` in
``.venv/etc/ipython/`` (written by ``make``); nothing in the user's own Jupyter
or IPython configuration is touched.
"""

from ipykernel.ipkernel import IPythonKernel

LANGUAGE_INFO = {key: value for key, value in IPythonKernel.language_info.items()
                 if key != "version"}


class CourseKernel(IPythonKernel):
    """IPythonKernel whose ``language_info`` carries no Python version."""

    language_info = LANGUAGE_INFO

"""Backprop from Scratch: the finished versions of what the notebooks build.

One module per part of the course; import what you need explicitly, e.g.
``from course_utils.data import load_iris``.
"""

__version__ = "0.1.0"

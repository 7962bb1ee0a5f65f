"""Datasets shipped with parklink.

* :mod:`parklink.datasets.chengyu` — the embedded default dataset of the Sichuan–Chongqing
  industrial cooperation demonstration parks (real, sourced facts; see its ``provenance.md``).
"""

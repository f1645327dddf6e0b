"""The guided steps of the web application: a case built section by section, as in SØM.

A step reads its part of the case from a submitted form into the *draft* (the case as plain data,
the same shape as a case file), and the draft is validated by the same case models and checks as
the command line (:func:`socialinvest.case.load.load_case_text`). Nothing here computes anything.

- :mod:`.fields`   numbers and lists as people type them (Danish decimal comma) ↔ case values
- :mod:`.flow`     the steps, which case sections each owns, form ↔ draft
- :mod:`.errors`   a case error in plain Danish or English, placed beside its field
"""

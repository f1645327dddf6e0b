"""The input language: typed case models, loading YAML/JSON, validation with clear errors."""

from socialinvest.case.load import LoadedCase, load_case, load_case_text
from socialinvest.case.models import Case

__all__ = ["Case", "LoadedCase", "load_case", "load_case_text"]

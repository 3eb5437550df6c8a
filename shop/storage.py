"""The shop's downloads live in the private storage (``home.storage``); the migrations name its
callable by this path."""

from home.storage import private_storage, serves_files_itself

__all__ = ["private_storage", "serves_files_itself"]

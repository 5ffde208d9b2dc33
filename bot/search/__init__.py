"""Free-text FAQ search for informal Indonesian and English, without a model download."""

from bot.search.index import Candidate, SearchEngine, SearchResult

__all__ = ["Candidate", "SearchEngine", "SearchResult"]

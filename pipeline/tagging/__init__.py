"""Taggers propose codes for segments. They share one small protocol (``Tagger``) so that the
rule tagger, and later semantic and supervised taggers, slot into the same annotate step."""

from pipeline.tagging.base import NullTagger, Tagger, annotate
from pipeline.tagging.rules import RuleTagger

__all__ = ["NullTagger", "RuleTagger", "Tagger", "annotate"]

"""Topics beside the codebook: BERTopic over segments, on Kwali's own embeddings.

``fit_topics`` clusters segment embeddings (never BERTopic's hub default model) into topics
with Dutch, lemma-based top terms; ``topic_tables`` relates topics to cases, case attributes,
time and codes, and flags topics no code covers as candidate new codes.
"""

from pipeline.topics.model import TopicResult, fit_topics
from pipeline.topics.tables import TopicTables, topic_tables, write_topic_tables

__all__ = ["TopicResult", "TopicTables", "fit_topics", "topic_tables", "write_topic_tables"]

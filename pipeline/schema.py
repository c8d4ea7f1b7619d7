"""The store's tables (SQLAlchemy Core). ``pipeline.store`` re-exports them, with the ``Store``."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

documents = Table(
    "documents", metadata,
    Column("id", String, primary_key=True),
    Column("case_id", String, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("turns", JSON, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("n_words", Integer, nullable=False),
    # Fingerprints of the config that produced this document's segments and its tags: a re-run
    # with the same source and config skips the document; a new codebook re-tags without re-parsing.
    Column("segmented_with", String(64), nullable=False),
    Column("tagged_with", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cases = Table(
    "cases", metadata,
    Column("id", String, primary_key=True),
    Column("attributes", JSON, nullable=False),
)

segments = Table(
    "segments", metadata,
    Column("id", String, primary_key=True),
    Column("document_id", String, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("case_id", String, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("speaker", String),
    Column("timestamp", String),
    Column("n_words", Integer, nullable=False),
    Index("ix_segments_document", "document_id", "idx"),
)

codebooks = Table(
    "codebooks", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("id", String, nullable=False),
    Column("version", String, nullable=False),
    Column("label", String, nullable=False),
    Column("content", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tags = Table(
    "tags", metadata,
    Column("segment_id", String, ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True),
    Column("code_id", String, primary_key=True),
    Column("method", String(32), primary_key=True),
    Column("codebook_sha256", String(64), ForeignKey("codebooks.sha256"), primary_key=True),
    Column("theme_id", String, nullable=False),
    Column("score", Float, nullable=False),
    Column("polarity", String(8), nullable=False),
    Column("evidence", JSON, nullable=False),
    Index("ix_tags_codebook", "codebook_sha256", "code_id"),
)

runs = Table(
    "runs", metadata,
    Column("id", String, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("config", JSON, nullable=False),
    Column("codebook_sha256", String(64)),
    Column("fingerprint", String(64)),
    Column("skipped", JSON, nullable=False),
    Column("kwali_version", String, nullable=False),
)

run_documents = Table(
    "run_documents", metadata,
    Column("run_id", String, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", String, primary_key=True),
)


users = Table(
    "users", metadata,
    Column("name", String, primary_key=True),
    Column("role", String(16), nullable=False),  # lead | coder | machine | imported
    Column("password_hash", String),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("segment_id", String, ForeignKey("segments.id", ondelete="CASCADE"), nullable=False),
    Column("code_id", String, nullable=False),
    Column("coder", String, ForeignKey("users.name"), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("polarity", String(8)),
    Column("memo", Text),
    Column("source", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Audit trail: a newer decision on the same (segment, code, coder) supersedes this one;
    # ``version`` counts them, for optimistic concurrency in the review app.
    Column("version", Integer, nullable=False),
    Column("superseded_by", Integer),
    Index("ix_decisions_current", "segment_id", "code_id", "coder", "superseded_by"),
)

# One version number per (segment, code, coder) chain: two concurrent saves of the same version
# cannot both land, whatever the database's isolation level (optimistic versioning).
decisions_version_index = Index("ux_decisions_version", decisions.c.segment_id, decisions.c.code_id,
                                decisions.c.coder, decisions.c.version, unique=True)

# Review app: which documents a coder may see, and study-wide settings (blind/open mode...).
assignments = Table(
    "assignments", metadata,
    Column("document_id", String, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("coder", String, ForeignKey("users.name"), primary_key=True),
    Column("assigned_by", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

settings = Table(
    "settings", metadata,
    Column("key", String, primary_key=True),
    Column("value", JSON, nullable=False),
)


# Sentence embeddings, keyed on (model, hash of kind + text): a re-run never re-embeds a text.
embeddings = Table(
    "embeddings", metadata,
    Column("model", String, primary_key=True),
    Column("text_sha", String(64), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
)

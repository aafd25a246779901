"""Direct messages (#24): comment.private, comment.thread_of, comment.attachments; the conversation table

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite never copies the table other tables point to, so thread_of has no
    # foreign key: SQLite could add one only by copying the table).
    op.add_column("comment", sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.add_column("comment", sa.Column("thread_of", sa.Integer(), nullable=True))
    op.add_column("comment", sa.Column("attachments", sa.JSON(), nullable=True))
    op.create_index("ix_comment_thread_of", "comment", ["thread_of"])
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(255), nullable=True),
        sa.Column("participant_id", sa.String(255), nullable=False),
        sa.Column("author_id", sa.String(255), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("anchor_id", sa.Integer(), sa.ForeignKey("comment.id", name="fk_conversation_anchor_id_comment")),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation"),
        sa.UniqueConstraint("brand", "platform", "participant_id", name="uq_conversation_brand_platform_participant"),
    )
    op.create_index("ix_conversation_brand", "conversation", ["brand"])
    op.create_index("ix_conversation_author_id", "conversation", ["author_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_author_id", table_name="conversation")
    op.drop_index("ix_conversation_brand", table_name="conversation")
    op.drop_table("conversation")
    op.drop_index("ix_comment_thread_of", table_name="comment")
    with op.batch_alter_table("comment") as batch:
        batch.drop_column("attachments")
        batch.drop_column("thread_of")
        batch.drop_column("private")

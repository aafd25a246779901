"""constraint names from the naming convention

PostgreSQL databases created before the metadata had a naming convention (bot/models.py) carry
PostgreSQL's own names (`comment_pkey`, `escalation_comment_id_key`, `proposal_comment_id_fkey`);
new ones get `pk_comment`, `uq_escalation_comment_id`, `fk_proposal_comment_id_comment`. This renames
the old ones so every database, old or new, answers to the same names in later migrations. SQLite's
older constraints carry no name at all: nothing to rename there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONSTRAINTS = sa.text(
    """
    SELECT c.conname, c.contype::text, t.relname, r.relname,
           array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(num, pos)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.pos)
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    LEFT JOIN pg_class r ON r.oid = c.confrelid
    WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f')
    """
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, kind, table, referred, columns in bind.execute(_CONSTRAINTS).all():
        joined = "_".join(columns)
        postgres_default, convention = {
            "p": (f"{table}_pkey", f"pk_{table}"),
            "u": (f"{table}_{joined}_key", f"uq_{table}_{joined}"),
            "f": (f"{table}_{columns[0]}_fkey", f"fk_{table}_{columns[0]}_{referred}"),
        }[kind]
        if name == postgres_default[:63]:  # a name we gave ourselves (uq_comment_brand_…) stays
            op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{name}" TO "{convention[:63]}"')


def downgrade() -> None:
    pass  # names only: no earlier release refers to a constraint by name

"""the 2025 two-level map: every pre-2025 area path in use moves to its 2025 unit

Revision ID: 0010
Revises: 0002, 0003, 0004
Create Date: 2026-12-02 20:45:00

Notices' target areas take the district's successor communes (its whole audience) or the commune's
2025 unit; boards, board acknowledgements and the boards/print deliveries (one place each) take the
unit holding the place. A live notice's moved deliveries become pending, so the next dispatch
publishes it on the new topic and remakes the new commune's bulletin; the retained message on the
old topic stays (old boards keep showing it until it expires). Paths no mapping file places are left
unchanged. Every change and every unknown path is recorded in `area_renames`
(`loa areas --migration` shows it). loa/data/areas-2025-cao-bang.yaml documents each choice.
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema

revision = '0010'
down_revision = ('0002', '0003', '0004')
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('area_renames',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('old_path', sa.String(length=500), nullable=False),
    sa.Column('new_paths', sa.JSON(), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    from loa.store.area_rename import rename_all

    rename_all(op.get_bind())

def downgrade() -> None:
    op.drop_table('area_renames')

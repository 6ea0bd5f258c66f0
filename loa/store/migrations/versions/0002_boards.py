"""digital notice boards: registry, online/offline history, acknowledgements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boards',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=500), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_since', loa.store.schema.UTCDateTime(), nullable=True),
    sa.Column('last_seen_at', loa.store.schema.UTCDateTime(), nullable=True),
    sa.Column('created_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('board_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('board_status', schema=None) as batch_op:
        batch_op.create_index('ix_board_status_board_at', ['board_id', 'at'], unique=False)

    op.create_table('board_acks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.String(length=64), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=500), nullable=True),
    sa.Column('shown_at', loa.store.schema.UTCDateTime(), nullable=True),
    sa.Column('received_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('board_id', 'notice_id', 'version')
    )
    with op.batch_alter_table('board_acks', schema=None) as batch_op:
        batch_op.create_index('ix_board_acks_notice', ['notice_id', 'version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('board_acks', schema=None) as batch_op:
        batch_op.drop_index('ix_board_acks_notice')
    op.drop_table('board_acks')
    with op.batch_alter_table('board_status', schema=None) as batch_op:
        batch_op.drop_index('ix_board_status_board_at')
    op.drop_table('board_status')
    op.drop_table('boards')
